import { isCapabilityName, parseCapabilityInput } from "../common/capabilities";
import type { AuditLog, CallIntent } from "../common/audit/log";
import { errorMessage } from "../common/errors";
import type { RegisteredCapability } from "./capabilities";
import type { CapabilityContext, CapabilityResult } from "./capabilities/types";
import type { ClassVerdict } from "../common/policy/types";
import { RefusalError, type Refusal } from "./policy";
import type { CapabilityName } from "../common/capabilities";

/** A capability call as the bot sends it. */
export interface CallRequest {
  capability: string;
  args: unknown;
  /** Who asked: the operator's Matrix ID (or the bot's, for its own probes). */
  caller: string;
  /** The operator who approved, for calls whose class (or name) the manifest says need one. */
  approvedBy?: string;
  /** The bot's reference for this call (`call_ref`), kept on both audit entries. */
  ref?: string;
}

export type CallResponse =
  | {
      status: "done";
      auditId: number;
      result: CapabilityResult;
      auditResultWritten: boolean;
      /** The class the call ran as (read, change, run). */
      callClass: ClassVerdict["callClass"];
    }
  | { status: "refused"; auditId: number; refusal: Refusal }
  /** The call entry could not be written, so nothing ran. */
  | { status: "audit_unavailable"; error: string };

/**
 * One call, in the order that makes the audit trustworthy: validate and apply the policy,
 * write the call entry (with the refusal, when refused), only then run, then write the
 * result. If the call entry cannot be written, nothing runs.
 */
export async function invoke(
  registry: ReadonlyMap<CapabilityName, RegisteredCapability>,
  ctx: CapabilityContext,
  audit: AuditLog,
  request: CallRequest,
): Promise<CallResponse> {
  const caller = request.approvedBy
    ? `${request.caller} (approved by ${request.approvedBy})`
    : request.caller;
  const ref = request.ref ?? null;
  const refuse = (capability: string, args: unknown, refusal: Refusal): CallResponse => {
    const auditId = recordCall(
      audit,
      { capability, args, caller, ref },
      `${refusal.code}: ${refusal.message}`,
    );
    return typeof auditId === "number" ? { status: "refused", auditId, refusal } : auditId;
  };

  const name = request.capability;
  if (!isCapabilityName(name)) {
    return refuse(
      name.slice(0, 64),
      {},
      { code: "unknown_capability", message: `there is no capability ${name.slice(0, 64)}` },
    );
  }
  const capability = registry.get(name)!;
  const parsed = parseCapabilityInput(name, request.args);
  if (!parsed.ok) return refuse(name, request.args, { code: "invalid_input", message: parsed.error });
  const input = parsed.value;
  const auditArgs = capability.auditArgs ? capability.auditArgs(input) : input;
  if (!ctx.policy.isEnabled(name)) {
    return refuse(name, auditArgs, {
      code: "capability_disabled",
      message: `${name} is not enabled in this device's manifest`,
    });
  }
  let verdict: ClassVerdict;
  try {
    // Every call gets a class from its exact input (shell.exec: the program's argv grammar).
    verdict = ctx.policy.classify(name, input);
  } catch (error) {
    if (error instanceof RefusalError) return refuse(name, auditArgs, error.refusal);
    throw error;
  }
  if (ctx.policy.approvalNeeded(verdict, name) && !request.approvedBy) {
    return refuse(name, auditArgs, {
      code: "approval_required",
      message: `${name} is a ${verdict.callClass} call (${verdict.reason}); it needs an operator's approval`,
    });
  }
  try {
    await capability.check?.(input, ctx);
  } catch (error) {
    if (error instanceof RefusalError) return refuse(name, auditArgs, error.refusal);
    throw error;
  }

  const callId = recordCall(audit, { capability: name, args: auditArgs, caller, ref }, null);
  if (typeof callId !== "number") return callId;
  const started = performance.now();
  let result: CapabilityResult;
  try {
    result = await capability.execute(input, ctx);
  } catch (error) {
    // A refusal found only at run time (a path that changed since the check) or an OS error.
    const message = error instanceof RefusalError ? `refused: ${error.message}` : errorMessage(error);
    result = { ok: false, exitCode: null, truncated: false, bytes: 0, error: message };
  }
  let auditResultWritten = true;
  try {
    audit.recordResult(
      callId,
      name,
      caller,
      {
        exitCode: result.exitCode,
        bytes: result.bytes,
        durationMs: performance.now() - started,
        ...(result.error !== undefined ? { error: result.error.slice(0, 500) } : {}),
      },
      ref,
    );
  } catch {
    // It ran and its call entry exists; say the result row is missing rather than hide the result.
    auditResultWritten = false;
  }
  return { status: "done", auditId: callId, result, auditResultWritten, callClass: verdict.callClass };
}

function recordCall(audit: AuditLog, intent: CallIntent, refusal: string | null): number | CallResponse {
  try {
    return audit.recordCall(intent, refusal);
  } catch (error) {
    return {
      status: "audit_unavailable",
      error: `the audit log cannot be written (${errorMessage(error)}); nothing was run`,
    };
  }
}
