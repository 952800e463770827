import { openCwd, prepareExec } from "../exec/prepare";
import { PathFailure } from "../fs/open";
import { capability, fromRun } from "./types";

/**
 * shell.exec runs argv directly — no shell parses anything — and only argv the shared
 * policy's grammar for that program accepts, with its path words checked and pinned (see
 * exec/prepare.ts). shell.eval hands a command line to the shell; the policy classes it as
 * "run", so it needs an operator unless the manifest says otherwise.
 */

export const shellExec = capability({
  name: "shell.exec",
  async check(input, ctx) {
    const cwd = input.cwd ?? ctx.policy.manifest.default_cwd;
    const prepared = await prepareExec(ctx, input.argv, cwd).catch(notThere);
    await prepared?.close();
  },
  async execute(input, ctx) {
    const prepared = await prepareExec(ctx, input.argv, input.cwd ?? ctx.policy.manifest.default_cwd);
    try {
      const run = await ctx.run(prepared.argv, {
        cwd: prepared.cwd.via,
        timeoutMs: ctx.policy.timeout(input.timeout_ms),
        env: programEnv(process.env),
      });
      return fromRun({
        ...run,
        stdout: prepared.rewriteOutput(run.stdout),
        stderr: prepared.rewriteOutput(run.stderr),
      });
    } finally {
      await prepared.close();
    }
  },
});

export const shellEval = capability({
  name: "shell.eval",
  async check(input, ctx) {
    const cwd = await openCwd(ctx, input.cwd ?? ctx.policy.manifest.default_cwd).catch(notThere);
    await cwd?.handle.close();
  },
  async execute(input, ctx) {
    const cwd = await openCwd(ctx, input.cwd ?? ctx.policy.manifest.default_cwd);
    try {
      return fromRun(
        await ctx.run(ctx.platform.shellArgv(input.command), {
          cwd: cwd.via,
          timeoutMs: ctx.policy.timeout(input.timeout_ms),
        }),
      );
    } finally {
      await cwd.handle.close();
    }
  },
});

/** A missing directory or path word is reported by the run itself (a failure, not a refusal). */
function notThere(error: unknown): undefined {
  if (error instanceof PathFailure) return undefined;
  throw error;
}

/**
 * The environment a checked program runs in: POSIXLY_CORRECT would make GNU programs stop
 * reading options at the first operand (parsing argv unlike the policy did), and a pager
 * must never start.
 */
export function programEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { POSIXLY_CORRECT: _posix, ...rest } = env;
  return { ...rest, PAGER: "cat", SYSTEMD_PAGER: "cat", SYSTEMD_LESS: "", GIT_PAGER: "cat" };
}
