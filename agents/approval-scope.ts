import { policyFlavor } from "../capabilities/registry";
import type { ApprovalNeed } from "../capabilities/types";
import { canonicalProgramName } from "../common/policy/programs";
import type { CallClass } from "../common/policy/types";
import type { Device } from "../state/devices";

/**
 * What a 🔁 session grant allows: one exact scope, and a later call runs under the grant
 * only when its own scope is equal in every part —
 *   device      the device's name and its created_at: a device revoked and added again
 *               under the same name is another device, and an old grant never carries over;
 *   tool        the tool the model called (shell.exec, fs.write, …);
 *   callClass   the policy's class of the exact call (tool.classify: read, change or run);
 *   program     for a tool that takes argv (shell.exec, ssh_exec): argv[0] as the device's
 *               policy table names it (Windows drops ".exe" and case); null for every other
 *               tool, whose scope is then the tool itself, whatever its input.
 * There is no wildcard, prefix or order between scopes, so a grant never widens: a change
 * grant for systemctl does not cover a run call of systemctl or a change call of another
 * program, a grant for fs.write does not cover proc.kill, one for pc1 does not cover pc2.
 */
export interface ApprovalScope {
  device: string;
  deviceSince: number;
  tool: string;
  callClass: CallClass;
  program: string | null;
}

/** A bare program name as the policy accepts it in argv[0]; anything else has no scope. */
const PROGRAM = /^[A-Za-z0-9_][A-Za-z0-9._+-]*$/;

/**
 * The scope of a call that needs approval, or undefined when none can be offered (the call
 * needs no approval, or its argv[0] is not a bare program name — the policy refuses those).
 */
export function scopeOf(
  device: Pick<Device, "name" | "created_at" | "os">,
  tool: string,
  input: Record<string, unknown>,
  need: ApprovalNeed,
): ApprovalScope | undefined {
  if (!need.needed) return undefined;
  const base = { device: device.name, deviceSince: device.created_at, tool, callClass: need.callClass };
  if (!Object.prototype.hasOwnProperty.call(input, "argv")) return { ...base, program: null };
  const argv = input.argv;
  const first: unknown = Array.isArray(argv) ? argv[0] : undefined;
  if (typeof first !== "string" || !PROGRAM.test(first)) return undefined;
  return { ...base, program: canonicalProgramName(policyFlavor(device.os), first) };
}

/** The scope as one string, compared for equality only (stored with each grant). */
export function scopeKey(scope: ApprovalScope): string {
  return JSON.stringify([scope.device, scope.deviceSince, scope.tool, scope.callClass, scope.program]);
}

/** "change calls of systemctl through shell.exec", "fs.write calls" (the scope without its device). */
export function scopeWhat(scope: Pick<ApprovalScope, "tool" | "callClass" | "program">): string {
  return scope.program === null
    ? `${scope.tool} calls`
    : `${scope.callClass} calls of ${scope.program} through ${scope.tool}`;
}

/** "change calls of systemctl through shell.exec on pc1", "fs.write calls on pc1". */
export function scopeText(scope: Pick<ApprovalScope, "device" | "tool" | "callClass" | "program">): string {
  return `${scopeWhat(scope)} on ${scope.device}`;
}

/** 900 → "15 min", 45 → "45 s", 7200 → "2 h". */
export function durationText(seconds: number): string {
  if (seconds < 120) return `${seconds} s`;
  if (seconds % 3600 === 0) return `${seconds / 3600} h`;
  return `${Math.round(seconds / 60)} min`;
}

/** "14:05 UTC" (the bot's clock, in UTC, so every operator reads the same time). */
export function clockText(ms: number): string {
  return `${new Date(ms).toISOString().slice(11, 16)} UTC`;
}
