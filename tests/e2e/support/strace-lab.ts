import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { LabFacts } from "../../../lab/facts";

/** Where the fixture is, as the traced program sees it (inside pc2's throwaway mount namespace). */
export interface TraceFixture {
  home: string;
  dir: string;
  file: string;
  secret: string;
}

export interface TracedRun {
  argv: string[];
  trace: string;
  output: string;
  rc: number;
}

/**
 * Stages the fixture lab/strace-run.sh copies into the viewer's home: a git repository
 * with files, a subdirectory, and two symlinks out of the home (a file and a directory)
 * whose targets, under /mnt/outside, carry a secret marker.
 */
export function stageFixture(work: string, user: string, secret: string): TraceFixture {
  rmSync(work, { recursive: true, force: true });
  const fixture = join(work, "fixture");
  const outside = join(work, "outside");
  mkdirSync(join(fixture, "sub", "deeper"), { recursive: true });
  mkdirSync(outside, { recursive: true });
  writeFileSync(join(fixture, "notes.txt"), "water the plants\nfeed the cat\nerror: none\n");
  writeFileSync(join(fixture, "sub", "log.txt"), "2024-01-01 boot ok\n2024-01-02 disk 42%\n");
  writeFileSync(join(fixture, "sub", "deeper", "data.csv"), "a,b\n1,2\n");
  symlinkSync("/mnt/outside/secret.txt", join(fixture, "link-to-secret"));
  symlinkSync("/mnt/outside", join(fixture, "link-to-outside"));
  writeFileSync(join(outside, "secret.txt"), `${secret}\n`);
  chmodSync(join(outside, "secret.txt"), 0o644);
  const git = (...args: string[]): void => {
    execFileSync(
      "git",
      ["-C", fixture, "-c", "user.name=lab", "-c", "user.email=lab@meshpilot.test", ...args],
      {
        stdio: "ignore",
      },
    );
  };
  git("init", "-q", "-b", "main");
  git("add", "-A");
  git("commit", "-q", "-m", "fixture");
  execFileSync("chown", ["-R", `${user}:${user}`, fixture]);
  const home = `/home/${user}`;
  return { home, dir: `${home}/fixture`, file: `${home}/fixture/notes.txt`, secret };
}

/** Runs argv lists under strace on a lab host as `user` (lab/strace-run.sh); reads back each run. */
export function traceBatch(
  facts: LabFacts,
  host: string,
  user: string,
  work: string,
  argvs: string[][],
): TracedRun[] {
  const out = join(work, "out");
  rmSync(out, { recursive: true, force: true });
  const list = join(work, "argv.jsonl");
  writeFileSync(list, argvs.map((a) => JSON.stringify(a)).join("\n") + "\n");
  execFileSync(
    "bash",
    [
      join(facts.repo, "lab/strace-run.sh"),
      host,
      user,
      list,
      join(work, "fixture"),
      join(work, "outside"),
      out,
    ],
    { stdio: ["ignore", "ignore", "pipe"], timeout: 30 * 60_000 },
  );
  return argvs.map((argv, i) => ({
    argv,
    trace: existsSync(join(out, `${i}.trace`)) ? readFileSync(join(out, `${i}.trace`), "utf8") : "",
    output: readFileSync(join(out, `${i}.out`), "latin1"),
    rc: Number(readFileSync(join(out, `${i}.rc`), "utf8").trim()),
  }));
}
