import type { CapabilityInput, CapabilityName } from "../../common/capabilities";
import type { RunResult } from "../exec/run";
import type { Platform } from "../platform";
import type { Policy } from "../policy";

/** What a capability sees: the policy, the platform and a way to run programs. */
export interface CapabilityContext {
  policy: Policy;
  platform: Platform;
  which: (tool: string) => string | undefined;
  /** Runs argv with the manifest's limits; `timeoutMs` is already capped by the caller. */
  run(
    argv: readonly string[],
    options: {
      cwd: string;
      timeoutMs?: number;
      env?: NodeJS.ProcessEnv;
      /** Output kept per stream, when not the manifest's (output parsed by the agent, not returned). */
      outputBytes?: number;
    },
  ): Promise<RunResult>;
  /** The agent's own pid (proc.kill refuses it). */
  selfPid: number;
}

/**
 * The outcome the bot sees. `ok: false` is an ordinary failure (non-zero exit, tool not
 * installed, file missing) that the model reads; refusals are not results (see Policy).
 */
export interface CapabilityResult {
  ok: boolean;
  exitCode: number | null;
  stdout?: string;
  stderr?: string;
  /** Structured output where there is some (a listing, a process table). */
  data?: unknown;
  truncated: boolean;
  bytes: number;
  error?: string;
}

export interface Capability<N extends CapabilityName = CapabilityName> {
  name: N;
  /**
   * Policy checks that must pass before anything is audited as a call and run: paths,
   * binaries. Throws RefusalError; the refusal is then audited as such.
   */
  check?(input: CapabilityInput<N>, ctx: CapabilityContext): Promise<void>;
  execute(input: CapabilityInput<N>, ctx: CapabilityContext): Promise<CapabilityResult>;
  /** What goes into the audit row when not the input itself (fs.write: a hash, not the content). */
  auditArgs?(input: CapabilityInput<N>): unknown;
}

/** A result from a finished process. */
export function fromRun(run: RunResult, data?: unknown): CapabilityResult {
  const ok = run.spawnError === undefined && !run.timedOut && run.exitCode === 0;
  const error =
    run.spawnError ??
    (run.timedOut
      ? `timed out after ${Math.round(run.durationMs)} ms; the process tree was killed`
      : undefined);
  return {
    ok,
    exitCode: run.exitCode,
    stdout: run.stdout,
    stderr: run.stderr,
    ...(data !== undefined ? { data } : {}),
    truncated: run.truncated,
    bytes: run.bytes,
    ...(error !== undefined
      ? { error }
      : !ok
        ? { error: `exited with code ${run.exitCode ?? run.signal}` }
        : {}),
  };
}

/** "docker is not installed": a plain answer rather than a spawn error. */
export function notInstalled(tool: string): CapabilityResult {
  return { ok: false, exitCode: null, truncated: false, bytes: 0, error: `${tool} is not installed` };
}

/** Defines a capability with its input type inferred from the name. */
export function capability<N extends CapabilityName>(definition: Capability<N>): Capability<N> {
  return definition;
}
