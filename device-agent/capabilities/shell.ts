import { capability, fromRun } from "./types";

/**
 * shell.exec runs argv directly — no shell parses anything — and only allowed binaries.
 * shell.eval hands a command line to the shell; the manifest gates it as a whole (enabled,
 * usually approval-required), since a shell string cannot be checked piece by piece.
 */

export const shellExec = capability({
  name: "shell.exec",
  async check(input, ctx) {
    ctx.policy.checkBinary(input.argv[0]!);
    await ctx.policy.cwd(input.cwd);
  },
  async execute(input, ctx) {
    ctx.policy.checkBinary(input.argv[0]!);
    const cwd = await ctx.policy.cwd(input.cwd);
    return fromRun(await ctx.run(input.argv, { cwd, timeoutMs: ctx.policy.timeout(input.timeout_ms) }));
  },
});

export const shellEval = capability({
  name: "shell.eval",
  async check(input, ctx) {
    await ctx.policy.cwd(input.cwd);
  },
  async execute(input, ctx) {
    const cwd = await ctx.policy.cwd(input.cwd);
    return fromRun(
      await ctx.run(ctx.platform.shellArgv(input.command), {
        cwd,
        timeoutMs: ctx.policy.timeout(input.timeout_ms),
      }),
    );
  },
});
