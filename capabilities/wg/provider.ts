import { capabilitySpec, type CapabilityName } from "../../common/capabilities";
import { errorCode } from "../../common/errors";
import type { AgentReply } from "../../device-agent/client/http";
import type { Manifest } from "../../device-agent/manifest/schema";
import type { Tool, ToolContext, ToolResult } from "../types";
import { formatCapabilityResult, type WireResult } from "./format";

/** A signed request to the device agent (device-agent/client/http.ts in production). */
export type AgentCall = (
  method: "GET" | "POST",
  path: string,
  payload: unknown,
  timeoutMs: number,
) => Promise<AgentReply>;

export interface WgToolDeps {
  manifest: Manifest;
  call: AgentCall;
}

/** Slack over the agent's own limit, so the agent's timeout (and its audit row) wins the race. */
const TRANSPORT_MARGIN_MS = 5_000;

/**
 * The WireGuard provider: one tool per capability the device's manifest enables. Policy
 * lives on the device (paths, binaries, approval); the agent audits before it runs and
 * answers with the result or a refusal. Nothing here decides what may run — it only
 * carries the call, and who approved it.
 */
export function wgTools(deps: WgToolDeps): Tool[] {
  const { manifest } = deps;
  const approval = new Set<CapabilityName>(manifest.capabilities.approval_required);
  return manifest.capabilities.enabled.map((name) => {
    const spec = capabilitySpec(name);
    const timeoutMs = manifest.limits.max_timeout_ms + TRANSPORT_MARGIN_MS;
    return {
      name: spec.name,
      description: spec.description,
      inputSchema: spec.inputSchema,
      needsApproval: approval.has(name),
      // A call may ask for up to max_timeout_ms; the agent enforces the real limit itself.
      timeoutMs,
      execute: (input, ctx) => callAgent(deps, name, input, ctx, timeoutMs),
    } satisfies Tool;
  });
}

async function callAgent(
  deps: WgToolDeps,
  capability: CapabilityName,
  input: Record<string, unknown>,
  ctx: ToolContext,
  timeoutMs: number,
): Promise<ToolResult> {
  let reply: AgentReply;
  try {
    reply = await deps.call(
      "POST",
      "/call",
      {
        capability,
        args: input,
        caller: ctx.caller,
        ...(ctx.approvedBy ? { approved_by: ctx.approvedBy } : {}),
      },
      timeoutMs,
    );
  } catch (error) {
    return { ok: false, output: `error: the device agent could not be reached (${errorCode(error)})` };
  }
  const body = (typeof reply.body === "object" && reply.body !== null ? reply.body : {}) as Record<
    string,
    unknown
  >;
  const auditId = typeof body.auditId === "number" ? body.auditId : undefined;
  if (reply.status === 200 && body.status === "done") {
    const result = formatCapabilityResult(capability, body.result as WireResult);
    return { ...result, ...(auditId !== undefined ? { auditId } : {}) };
  }
  if (reply.status === 403 && body.status === "refused") {
    const refusal = body.refusal as { code?: string; message?: string } | undefined;
    const reason = refusal?.message ?? "refused by the device's policy";
    return { ok: false, refusal: reason, output: `refused: ${reason}`, ...(auditId ? { auditId } : {}) };
  }
  if (reply.status === 401) {
    return { ok: false, output: "error: the device agent rejected the bot's signature (401)" };
  }
  if (reply.status === 503) {
    const why = typeof body.error === "string" ? body.error : "its audit log cannot be written";
    return { ok: false, output: `error: the device agent ran nothing: ${why}` };
  }
  const why = typeof body.error === "string" ? body.error : `HTTP ${reply.status}`;
  return { ok: false, output: `error: the device agent answered ${reply.status}: ${why}` };
}
