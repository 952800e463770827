import { lstat } from "node:fs/promises";
import { join } from "node:path";
import type { CapabilityContext, CapabilityResult } from "../capabilities/types";
import { fromRun, notInstalled } from "../capabilities/types";
import { openChecked, PathFailure, type OpenedPath } from "../fs/open";
import { RefusalError } from "../policy";
import { configKeys, unsafeConfigSentence } from "./safe-config";

/**
 * git run so that a repository cannot make it run anything: no system or global config,
 * nothing git-related from the agent's own environment, command-line overrides for every
 * setting that starts a program (these win over the repository's config even if it is
 * changed after our check), and a positive check of the repository's own config first.
 */
export function gitEnv(os: NodeJS.Platform = process.platform): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    // GIT_DIR, GIT_WORK_TREE, GIT_EXTERNAL_DIFF, GIT_SSH*, GIT_ASKPASS, GIT_CONFIG_* …: none pass.
    if (/^(GIT_|SSH_ASKPASS$|PAGER$|EDITOR$|VISUAL$)/i.test(key)) continue;
    env[key] = value;
  }
  return {
    ...env,
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_CONFIG_GLOBAL: os === "win32" ? "NUL" : "/dev/null",
    GIT_TERMINAL_PROMPT: "0",
    GIT_PAGER: "cat",
    PAGER: "cat",
    GIT_OPTIONAL_LOCKS: "0",
    LC_ALL: "C",
  };
}

/** `-c` overrides that come before every subcommand. */
export function gitOverrides(os: NodeJS.Platform = process.platform): string[] {
  const settings = [
    "core.fsmonitor=false",
    `core.hooksPath=${os === "win32" ? "NUL" : "/dev/null"}`,
    "core.pager=cat",
    "core.sshCommand=ssh",
    "credential.helper=",
    "submodule.recurse=false",
    // Transports: the usual ones only; ext:: (runs a command) and anything else never.
    "protocol.allow=never",
    "protocol.https.allow=always",
    "protocol.http.allow=always",
    "protocol.ssh.allow=always",
    "protocol.git.allow=always",
    "protocol.file.allow=always",
    "protocol.ext.allow=never",
  ];
  return ["--no-pager", ...settings.flatMap((setting) => ["-c", setting])];
}

export interface CheckedRepo {
  worktree: OpenedPath;
  /** The real path of the repository's .git directory, inside the allowed paths. */
  gitDir: string;
}

/**
 * Opens the working tree and its .git through descriptors and checks both real paths.
 * A .git that is a file ("gitdir: …", a linked worktree or submodule) or a link is
 * refused: its git dir could be anywhere. So are shared object stores (alternates) and
 * a common dir elsewhere.
 */
export async function openRepo(ctx: CapabilityContext, requested: string): Promise<CheckedRepo> {
  const worktree = await openChecked(ctx, requested, "dir");
  try {
    const dotGit = join(worktree.real, ".git");
    const info = await lstat(join(worktree.via, ".git")).catch(() => undefined);
    if (!info) throw new PathFailure(`${requested} is not a git working tree (it has no .git directory)`);
    if (!info.isDirectory()) {
      throw unsafe(`${requested}/.git is a file or a link (its git dir could be anywhere)`);
    }
    const git = await openChecked(ctx, dotGit, "dir");
    await git.handle.close();
    if (git.real !== dotGit) throw unsafe(`${requested}/.git changed while it was checked`);
    for (const redirect of ["commondir", join("objects", "info", "alternates")]) {
      if (await lstat(join(git.real, redirect)).catch(() => undefined)) {
        throw unsafe(`${requested}/.git/${redirect} points git at another repository`);
      }
    }
    return { worktree, gitDir: git.real };
  } catch (error) {
    await worktree.handle.close();
    throw error;
  }
}

function unsafe(what: string): RefusalError {
  return new RefusalError({
    code: "unsafe_repository",
    message: `${what}; the agent only runs git on repositories whose .git is a directory inside the allowed paths`,
  });
}

/** Reads the repository's own config files (listing only, nothing runs) and refuses any unsafe key. */
async function checkRepoConfig(ctx: CapabilityContext, repo: CheckedRepo, capability: string): Promise<void> {
  for (const file of ["config", "config.worktree"]) {
    const path = join(repo.gitDir, file);
    if (!(await lstat(path).catch(() => undefined))) continue;
    const opened = await openChecked(ctx, path, "file");
    await opened.handle.close();
    const listing = await ctx.run(
      ["git", ...gitOverrides(), "config", "--file", opened.real, "--list", "--null"],
      {
        cwd: repo.gitDir,
        env: gitEnv(),
      },
    );
    if (listing.exitCode !== 0 || listing.truncated) {
      throw new RefusalError({
        code: "unsafe_repository",
        message: `the repository's ${file} could not be read (${listing.stderr.trim().slice(0, 200) || "too long"}); ${capability} refuses it`,
      });
    }
    const sentence = unsafeConfigSentence(configKeys(listing.stdout), capability);
    if (sentence !== undefined) throw new RefusalError({ code: "unsafe_repository", message: sentence });
  }
}

/** Checks the repository as `check` does before the call is audited; closes what it opened. */
export async function checkRepo(
  ctx: CapabilityContext,
  requested: string,
  capability: string,
): Promise<void> {
  if (!ctx.which("git")) return;
  let repo: CheckedRepo;
  try {
    repo = await openRepo(ctx, requested);
  } catch (error) {
    if (error instanceof PathFailure) return; // said by the run as an ordinary failure
    throw error;
  }
  try {
    await checkRepoConfig(ctx, repo, capability);
  } finally {
    await repo.worktree.handle.close();
  }
}

/** Runs one git subcommand on a checked repository, with explicit --git-dir and --work-tree (no discovery). */
export async function runGit(
  ctx: CapabilityContext,
  requested: string,
  capability: string,
  args: readonly string[],
): Promise<CapabilityResult> {
  if (!ctx.which("git")) return notInstalled("git");
  const repo = await openRepo(ctx, requested);
  try {
    await checkRepoConfig(ctx, repo, capability);
    const argv = [
      "git",
      ...gitOverrides(),
      "-c",
      `safe.directory=${repo.worktree.real}`,
      `--git-dir=${repo.gitDir}`,
      `--work-tree=${repo.worktree.real}`,
      ...args,
    ];
    return fromRun(await ctx.run(argv, { cwd: repo.worktree.via, env: gitEnv() }));
  } finally {
    await repo.worktree.handle.close();
  }
}
