import { checkRepo, runGit } from "../git/run";
import { capability } from "./types";

/**
 * git.status, git.log, git.pull on a checked working tree, with git hardened so the
 * repository cannot make it run anything (see git/run.ts and git/safe-config.ts).
 */

export const gitStatus = capability({
  name: "git.status",
  check: (input, ctx) => checkRepo(ctx, input.repo, "git.status"),
  execute: (input, ctx) =>
    runGit(ctx, input.repo, "git.status", [
      "status",
      "--porcelain=v1",
      "--branch",
      "--ignore-submodules=all",
    ]),
});

export const gitLog = capability({
  name: "git.log",
  check: (input, ctx) => checkRepo(ctx, input.repo, "git.log"),
  execute: (input, ctx) =>
    runGit(ctx, input.repo, "git.log", [
      "log",
      `--max-count=${input.limit ?? 20}`,
      "--date=iso-strict",
      "--pretty=format:%H%x09%ad%x09%an%x09%s",
      "--no-patch",
      "--no-textconv",
      "--no-ext-diff",
      "--no-show-signature",
      "--no-mailmap",
    ]),
});

export const gitPull = capability({
  name: "git.pull",
  check: (input, ctx) => checkRepo(ctx, input.repo, "git.pull"),
  // Fast-forward only: a pull never creates a merge the operator did not ask for.
  execute: (input, ctx) =>
    runGit(ctx, input.repo, "git.pull", ["pull", "--ff-only", "--no-rebase", "--no-recurse-submodules"]),
});
