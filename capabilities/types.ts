import type { CallClass } from "../common/policy/types";

/** The class of one exact call and whether an operator must approve it before it is sent. */
export interface ApprovalNeed {
  needed: boolean;
  callClass: CallClass;
  /** One sentence shown on the approval card: why this class. */
  reason: string;
}

/**
 * A tool the per-device agent can call: a plain value. The same shape for both backends
 * (signed HTTP to the device agent, or SSH with bot-side audit).
 */
export interface Tool<I = Record<string, unknown>> {
  name: string;
  description: string;
  /** JSON schema of the input, as given to the model. */
  inputSchema: Record<string, unknown>;
  /** Computed from the exact input, before anything is sent (see common/policy). */
  classify(input: I): ApprovalNeed;
  timeoutMs: number;
  execute(input: I, ctx: ToolContext): Promise<ToolResult>;
}

export interface ToolContext {
  /** Who asked: the operator's MXID (through the agent). */
  caller: string;
  /** The operator who approved this very call, for tools that need approval. */
  approvedBy?: string;
}

export interface ToolResult {
  ok: boolean;
  /** What the model (and the room) may see; already capped. */
  output: string;
  truncated?: boolean;
  exitCode?: number | null;
  /** Set when policy refused the call: the reason, in plain words. */
  refusal?: string;
  /** The audit entry written for this call before it ran (or was refused). */
  auditId?: number;
}
