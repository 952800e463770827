import { capabilitySpec, type CapabilityName } from "../../common/capabilities";
import { errorCode } from "../../common/errors";
import type { AgentReply } from "./agent-http";
import type { Manifest } from "../../device-agent/manifest/schema";
import {
  CALL_CLASSES,
  DEFAULT_APPROVAL_CLASSES,
  approvalNeeded,
  capabilityClass,
  describePrograms,
  type CallClass,
  type PolicyFlavor,
} from "../../common/policy";
import { approvalNote } from "../registry";
import type { ApprovalNeed, Tool, ToolContext, ToolResult } from "../types";
import { formatCapabilityResult, type WireResult } from "./format";

/** A signed request to the device agent (agent-http.ts in production). */
export type AgentCall = (
  method: "GET" | "POST",
  path: string,
  payload: unknown,
  timeoutMs: number,
) => Promise<AgentReply>;

export interface WgToolDeps {
  manifest: Manifest;
  call: AgentCall;
  /** Which program table shell.exec is checked against (policyFlavor(device.os)); Linux by default. */
  flavor?: PolicyFlavor;
}

/** Slack over the agent's own limit, so the agent's timeout (and its audit row) wins the race. */
const TRANSPORT_MARGIN_MS = 5_000;

/** The class verdict for one exact call, computed bot-side before anything is sent. */
type CallVerdict = { refused: string } | ({ refused?: undefined } & ApprovalNeed);

/**
 * The WireGuard provider: one tool per capability the device's manifest enables. Each
 * call's class comes from its exact arguments (common/policy, the same code the device
 * agent runs), and the manifest's approval_classes / approval_required say whether an
 * operator must approve it. A call the policy refuses is never sent — not even with an
 * approval — so a bot and an agent of different versions cannot disagree into running
 * it; the device still checks and audits everything it is sent.
 */
export function wgTools(deps: WgToolDeps): Tool[] {
  const { manifest } = deps;
  const verdict = callVerdict(deps);
  const classes = approvalClasses(manifest);
  return manifest.capabilities.enabled.map((name) => {
    const spec = capabilitySpec(name);
    const timeoutMs = manifest.limits.max_timeout_ms + TRANSPORT_MARGIN_MS;
    return {
      name: spec.name,
      description: describe(deps, name, spec.description, classes),
      inputSchema: spec.inputSchema,
      classify: (input) => {
        const v = verdict(name, input);
        // A refused call needs no operator: it is answered here with the policy's sentence.
        return v.refused !== undefined ? { needed: false, callClass: "run", reason: v.refused } : v;
      },
      // A call may ask for up to max_timeout_ms; the agent enforces the real limit itself.
      timeoutMs,
      execute: (input, ctx) => {
        const v = verdict(name, input);
        if (v.refused !== undefined) return Promise.resolve(refusedHere(v.refused));
        if (v.needed && !ctx.approvedBy)
          return Promise.resolve(refusedHere(`${v.callClass} calls of ${name} need an operator's approval`));
        return callAgent(deps, name, input, ctx, timeoutMs);
      },
    } satisfies Tool;
  });
}

function callVerdict(deps: WgToolDeps): (name: CapabilityName, input: unknown) => CallVerdict {
  const { manifest } = deps;
  const flavor = deps.flavor ?? "linux";
  const classes = approvalClasses(manifest);
  return (name, input) => {
    const verdict = capabilityClass(flavor, manifest.shell.binaries_allowed, name, input);
    if ("refused" in verdict) return { refused: verdict.refused };
    const needed = approvalNeeded(verdict, name, classes, manifest.capabilities.approval_required);
    return { needed, callClass: verdict.callClass, reason: verdict.reason };
  };
}

/** The capability, which of its calls wait for an operator, and for shell.exec its exact forms. */
function describe(
  deps: WgToolDeps,
  name: CapabilityName,
  description: string,
  approval: readonly CallClass[],
): string {
  const { manifest } = deps;
  const flavor = deps.flavor ?? "linux";
  // Every capability but shell.exec has one class whatever its input.
  const fixed = name === "shell.exec" ? undefined : capabilityClass(flavor, [], name, {});
  const classes = fixed && !("refused" in fixed) ? [fixed.callClass] : CALL_CLASSES;
  const note = approvalNote(name, approval, manifest.capabilities.approval_required, classes);
  if (name !== "shell.exec") return `${description} ${note}`;
  const forms = describePrograms(flavor, manifest.shell.binaries_allowed);
  return (
    `${description} ${note} Only these forms are accepted, exactly as written; anything else is refused:\n` +
    (forms.length > 0 ? forms.join("\n") : "(none: shell.exec allows no program on this device)")
  );
}

/** The manifest's approval_classes; a manifest written before they existed gets the default. */
export function approvalClasses(manifest: Manifest): readonly CallClass[] {
  const capabilities: { approval_classes?: readonly CallClass[] } = manifest.capabilities;
  return capabilities.approval_classes ?? DEFAULT_APPROVAL_CLASSES;
}

function refusedHere(reason: string): ToolResult {
  return { ok: false, refusal: reason, output: `refused: ${reason}` };
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
    const wire = body.result as WireResult;
    // Refused at run time (the descriptor opened was outside): audited as a call with its
    // result, but for the model and the room it is a policy refusal like any other.
    const late =
      typeof wire.error === "string" && wire.error.startsWith("refused: ") ? wire.error : undefined;
    if (late)
      return {
        ok: false,
        refusal: late.slice("refused: ".length),
        output: late,
        ...(auditId ? { auditId } : {}),
      };
    const result = formatCapabilityResult(capability, wire);
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
