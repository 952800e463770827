import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";

/** Fixtures for the self-test's checks: throwaway git repositories, and waiting for a process to go. */

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
