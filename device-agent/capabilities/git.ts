import { capability, fromRun, notInstalled, type CapabilityContext, type CapabilityResult } from "./types";

/** git.status, git.log, git.pull: git run with -C on a checked working tree, never prompting. */

const GIT_ENV = { ...process.env, GIT_TERMINAL_PROMPT: "0", GIT_ASKPASS: "", LC_ALL: "C" };

async function git(ctx: CapabilityContext, repo: string, args: string[]): Promise<CapabilityResult> {
  if (!ctx.which("git")) return notInstalled("git");
  const real = await ctx.policy.allowedPath(repo);
  return fromRun(await ctx.run(["git", "-C", real, ...args], { cwd: real, env: GIT_ENV }));
}

const checkRepo = async (input: { repo: string }, ctx: CapabilityContext): Promise<void> => {
  await ctx.policy.allowedPath(input.repo);
};

export const gitStatus = capability({
  name: "git.status",
  check: checkRepo,
  execute: (input, ctx) => git(ctx, input.repo, ["status", "--porcelain=v1", "--branch"]),
});

export const gitLog = capability({
  name: "git.log",
  check: checkRepo,
  execute: (input, ctx) =>
    git(ctx, input.repo, [
      "log",
      `--max-count=${input.limit ?? 20}`,
      "--date=iso-strict",
      "--pretty=format:%H%x09%ad%x09%an%x09%s",
    ]),
});

export const gitPull = capability({
  name: "git.pull",
  check: checkRepo,
  // Fast-forward only: a pull never creates a merge the operator did not ask for.
  execute: (input, ctx) => git(ctx, input.repo, ["pull", "--ff-only"]),
});
