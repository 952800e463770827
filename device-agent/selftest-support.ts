import { spawnSync } from "node:child_process";
import { chmodSync, lstatSync, readdirSync, readFileSync, rmdirSync, rmSync, unlinkSync } from "node:fs";
import { join } from "node:path";

/**
 * Fixtures for the self-test's checks: throwaway git repositories, waiting for a process to
 * go, removing the temporary directory, and knowing whether this is Wine.
 */

export function makeRepos(dir: string): void {
  const git = (cwd: string, ...args: string[]): void => {
    const r = spawnSync(
      "git",
      [
        "-c",
        "user.email=self-test@meshpilot",
        "-c",
        "user.name=self-test",
        "-c",
        "init.defaultBranch=main",
        ...args,
      ],
      { cwd, encoding: "utf8" },
    );
    if (r.status !== 0) throw new Error(`git ${args.join(" ")}: ${r.stderr}`);
  };
  git(dir, "init", "-q", "origin");
  git(join(dir, "origin"), "commit", "-q", "--allow-empty", "-m", "self-test commit");
  git(dir, "clone", "-q", "origin", "clone");
}

/** True once the process is gone; a killed orphan can linger a moment as a zombie until init reaps it. */
export async function gone(pid: number, timeoutMs = 3000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      process.kill(pid, 0);
      if (zombie(pid)) return true;
    } catch {
      return true;
    }
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function zombie(pid: number): boolean {
  try {
    return / Z /.test(readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^.*\)/, ""));
  } catch {
    return false;
  }
}

/**
 * Removes the self-test's directory. rmSync first; if it fails, entry by entry with unlink
 * and rmdir. Under Wine 8, Bun's recursive rm fails on every directory, even an empty one
 * (EFAULT): it deletes with FileDispositionInformationEx, which Wine 8's
 * NtSetInformationFile does not implement ("Unsupported class (64)"); plain unlink and
 * rmdir work there. Files are made writable first: Windows will not delete a read-only one.
 */
export function removeTree(
  dir: string,
  rm: (dir: string) => void = (d) => rmSync(d, { recursive: true, force: true }),
): void {
  try {
    rm(dir);
  } catch (error) {
    try {
      removeEntries(dir);
    } catch {
      throw error;
    }
  }
}

function removeEntries(path: string): void {
  if (lstatSync(path).isDirectory()) {
    for (const name of readdirSync(path)) removeEntries(join(path, name));
    rmdirSync(path);
  } else {
    chmodSync(path, 0o666);
    unlinkSync(path);
  }
}

/**
 * True when this Windows process runs under Wine: Wine's ntdll puts WINELOADER and
 * WINECONFIGDIR in every process's environment; Windows has neither.
 */
export function underWine(
  env: NodeJS.ProcessEnv = process.env,
  os: NodeJS.Platform = process.platform,
): boolean {
  return os === "win32" && env.WINELOADER !== undefined && env.WINECONFIGDIR !== undefined;
}
