import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { agentFixture, callAgent } from "../support";

/**
 * A directory inside the allowed paths is swapped for a symlink to outside and back, as
 * fast as a child process can, while fs.read and fs.list run. The check is made on the
 * open descriptor, so no try may ever see the outside content (before, some 1 in 30 did).
 */
const TRIES = 1000;

const SWAPPER = `
const fs = require("node:fs");
const [box, parked, outside] = process.argv.slice(1);
process.stdout.write("ready\\n");
const parent = process.ppid;
// Orphaned (the test's worker killed, e.g. by a mutation run's timeout): stop, do not spin on.
for (;;) {
  if (process.ppid !== parent) process.exit(0);
  try { fs.renameSync(box, parked); fs.symlinkSync(outside, box); fs.unlinkSync(box); fs.renameSync(parked, box); } catch {}
}
`;

describe("a directory swapped for a symlink while it is read", () => {
  const f = agentFixture({ approvalClasses: [] });
  const box = join(f.home, "box");
  const outside = join(f.root, "outside");
  mkdirSync(box);
  mkdirSync(outside);
  writeFileSync(join(box, "f"), "INSIDE");
  writeFileSync(join(outside, "f"), "OUTSIDE-SECRET");
  writeFileSync(join(outside, "only-outside"), "");
  let swapper: ChildProcess;

  beforeAll(async () => {
    swapper = spawn(process.execPath, ["-e", SWAPPER, box, join(f.home, "parked"), outside], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    await new Promise((resolve) => swapper.stdout!.once("data", resolve));
  });
  afterAll(() => {
    swapper.kill("SIGKILL");
  });

  test(`fs.read: ${TRIES} tries, never the outside file`, async () => {
    const seen = { inside: 0, refused: 0, failed: 0, outside: 0 };
    for (let i = 0; i < TRIES; i++) {
      const response = await callAgent(f, { capability: "fs.read", args: { path: join(box, "f") } });
      const text = JSON.stringify(response);
      if (text.includes("OUTSIDE-SECRET")) seen.outside++;
      else if (response.status === "refused") seen.refused++;
      else if (response.status === "done" && response.result.stdout === "INSIDE") seen.inside++;
      else seen.failed++;
    }
    expect(seen.outside).toBe(0);
    // The race was real: some tries met the symlink (refused or failed) and some read inside.
    expect(seen.inside).toBeGreaterThan(0);
    expect(seen.refused + seen.failed).toBeGreaterThan(0);
  }, 120_000);

  test(`fs.list: ${TRIES} tries, never the outside directory`, async () => {
    let outsideListed = 0;
    let insideListed = 0;
    for (let i = 0; i < TRIES; i++) {
      const response = await callAgent(f, { capability: "fs.list", args: { path: box } });
      if (JSON.stringify(response).includes("only-outside")) outsideListed++;
      else if (response.status === "done" && response.result.ok) insideListed++;
    }
    expect(outsideListed).toBe(0);
    expect(insideListed).toBeGreaterThan(0);
  }, 120_000);

  // shell.exec hands the program the checked descriptor (/proc/<agent pid>/fd/N), not a name.
  const EXEC_TRIES = 300;
  test.each([
    ["cat", (p: string) => ["cat", join(p, "f")]],
    ["grep -r", (p: string) => ["grep", "-r", "-e", "SECRET", "-e", "INSIDE", p]],
    ["ls -la", (p: string) => ["ls", "-la", p]],
  ])(
    `shell.exec %s: ${EXEC_TRIES} tries, never the outside content`,
    async (_what, argvFor) => {
      let outside = 0;
      let inside = 0;
      for (let i = 0; i < EXEC_TRIES; i++) {
        const response = await callAgent(f, { capability: "shell.exec", args: { argv: argvFor(box) } });
        const text = JSON.stringify(response);
        if (text.includes("OUTSIDE-SECRET") || text.includes("only-outside")) outside++;
        else if (response.status === "done" && response.result.ok) inside++;
      }
      expect(outside).toBe(0);
      expect(inside).toBeGreaterThan(0);
    },
    120_000,
  );

  test("the program's output names the real path, not the descriptor", async () => {
    const stable = join(f.home, "stable");
    mkdirSync(stable, { recursive: true });
    writeFileSync(join(stable, "f"), "INSIDE");
    const done = await callAgent(f, {
      capability: "shell.exec",
      args: { argv: ["grep", "-r", "INSIDE", stable] },
    });
    const text = JSON.stringify(done);
    expect(text).toContain(`${stable}/f:INSIDE`);
    expect(text).not.toMatch(/\/proc\/\d+\/fd\//);
    const listed = await callAgent(f, {
      capability: "shell.exec",
      args: { argv: ["ls", "-l", join(stable, "f")] },
    });
    // ls -l of the descriptor link describes the file it reaches (-H), under its real name.
    expect(JSON.stringify(listed)).toMatch(/-rw[^"]* 6 [^"]*\/stable\/f\\n/);
  });
});
