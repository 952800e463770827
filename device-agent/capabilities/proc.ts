import { tmpdir } from "node:os";
import type { CapabilityInput } from "../../common/capabilities";
import { capability, fromRun, type CapabilityContext, type CapabilityResult } from "./types";

/** proc.list and proc.kill. */

export const procList = capability({
  name: "proc.list",
  async execute(input, ctx): Promise<CapabilityResult> {
    const argv = ctx.platform.processListArgv();
    if (!ctx.which(argv[0]!))
      return { ok: false, exitCode: null, truncated: false, bytes: 0, error: `${argv[0]} is not installed` };
    const run = await ctx.run(argv, { cwd: tmpdir() });
    const result = fromRun(run);
    if (!result.ok) return result;
    const limit = input.limit ?? 500;
    const processes = ctx.platform.parseProcessList(run.stdout);
    // The table is the answer; the raw text would only double the bytes.
    return {
      ok: true,
      exitCode: 0,
      data: { processes: processes.slice(0, limit), total: processes.length },
      truncated: run.truncated || processes.length > limit,
      bytes: run.bytes,
    };
  },
});

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
