import type { Config, Secrets } from "../../config/schema";

/** One line of `meshpilot doctor`: ✓ or ✗, what was seen, and for ✗ what to do. */
export interface CheckResult {
  ok: boolean;
  label: string;
  detail?: string;
  /** One line: the fix. Present on every ✗. */
  hint?: string;
}

export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** What checks may touch, injected so each can be tested with small fakes. */
export interface DoctorContext {
  configFile: string;
  config: Readonly<Config>;
  secrets: Secrets;
  fetch: typeof fetch;
  run: (file: string, args: readonly string[]) => Promise<CommandResult>;
  timeoutMs: number;
  /** Results of earlier checks by label, so a check can stand aside when its premise failed. */
  earlier: ReadonlyMap<string, CheckResult>;
}

/** A check that needs the loaded config. `applies` false: not configured, not shown. */
export interface Check {
  label: string;
  applies(context: DoctorContext): boolean;
  run(context: DoctorContext): Promise<CheckResult>;
}

export const pass = (label: string, detail?: string): CheckResult => ({ ok: true, label, detail });
export const fail = (label: string, detail: string, hint: string): CheckResult => ({
  ok: false,
  label,
  detail,
  hint,
});

/** The errno-style reason of a failed fetch (ECONNREFUSED, timeout…), for the detail column. */
export function networkReason(error: unknown): string {
  // undici wraps the socket error in `cause`; a multi-address connect wraps it once more.
  const cause = (error as { cause?: { code?: unknown; message?: unknown; errors?: { code?: unknown }[] } })
    ?.cause;
  if (typeof cause?.code === "string") return cause.code;
  const inner = cause?.errors?.[0]?.code;
  if (typeof inner === "string") return inner;
  if (typeof cause?.message === "string" && cause.message) return cause.message;
  if (error instanceof Error && error.name === "TimeoutError") return "timed out";
  return error instanceof Error ? error.message : String(error);
}
