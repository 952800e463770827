import { tmpdir } from "node:os";
import type { CapabilityInput } from "../../common/capabilities";
import { capability, fromRun, type CapabilityContext, type CapabilityResult } from "./types";

/** proc.list and proc.kill. */

/** Raw `ps`/`tasklist` output kept for parsing: ~100 bytes a process, so some 160 000 processes. */
export const PROCESS_TABLE_BYTES = 16 * 1024 * 1024;

export const procList = capability({
  name: "proc.list",
  async execute(input, ctx): Promise<CapabilityResult> {
    const argv = ctx.platform.processListArgv();
    if (!ctx.which(argv[0]!))
      return { ok: false, exitCode: null, truncated: false, bytes: 0, error: `${argv[0]} is not installed` };
    // The table is parsed here and only `limit` rows are returned, so the raw text gets its
    // own cap: the manifest's output cap would cut the table on a busy machine.
    const run = await ctx.run(argv, { cwd: tmpdir(), outputBytes: PROCESS_TABLE_BYTES });
    const result = fromRun(run);
    if (!result.ok) return result;
    const limit = input.limit ?? 500;
    const processes = ctx.platform.parseProcessList(run.stdout);
    // ps and tasklist always list at least themselves and the agent: an empty table means
    // the lister is broken (Wine 8's tasklist.exe is a stub that prints nothing), not an idle machine.
    if (processes.length === 0) return { ...result, ok: false, error: emptyTableError(argv[0]!) };
    // The table is the answer; the raw text would only double the bytes.
    return {
      ok: true,
      exitCode: 0,
      // `self`: the agent's own row, whatever the count and the limit (its memory and CPU).
      data: {
        processes: processes.slice(0, limit),
        total: processes.length,
        self: processes.find((p) => p.pid === ctx.selfPid) ?? null,
      },
      truncated: run.truncated || processes.length > limit,
      bytes: run.bytes,
    };
  },
});

/** The error proc.list answers when the lister exits 0 with no process in its output. */
export function emptyTableError(lister: string): string {
  return `${lister} listed no processes (not even itself)`;
}

export const procKill = capability({
  name: "proc.kill",
  execute(input, ctx): Promise<CapabilityResult> {
    return Promise.resolve(signalProcess(input, ctx));
  },
});

function signalProcess(input: CapabilityInput<"proc.kill">, ctx: CapabilityContext): CapabilityResult {
  {
    if (input.pid === ctx.selfPid) {
      return {
        ok: false,
        exitCode: null,
        truncated: false,
        bytes: 0,
        error: "the agent does not signal itself",
      };
    }
    const signal = input.signal ?? "TERM";
    try {
      ctx.platform.signal(input.pid, signal);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const why =
        code === "ESRCH" ? "no such process" : code === "EPERM" ? "not permitted" : (error as Error).message;
      return {
        ok: false,
        exitCode: null,
        truncated: false,
        bytes: 0,
        error: `cannot signal ${input.pid}: ${why}`,
      };
    }
    return { ok: true, exitCode: 0, data: { pid: input.pid, signal }, truncated: false, bytes: 0 };
  }
}
