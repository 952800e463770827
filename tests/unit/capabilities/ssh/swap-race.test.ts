import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { setPriority, tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { AuditLog } from "../../../../common/audit/log";
import { asSqlDatabase } from "../../../../state/db";
import { sshTools } from "../../../../capabilities/ssh/provider";
import type { Tool, ToolResult } from "../../../../capabilities/types";
import { localPool } from "./local-remote";

const TRIES = 1200;
const CONCURRENCY = 8;

/**
 * Check-then-use, attacked for real: a child process flips home/viewer/d between a real
 * directory and a symlink to a secret directory (atomic renames), while the tools read
 * d/f, list d and grep through d, running the generated script with the local sh and the
 * bot's own parsing. No secret may reach a tool result.
 */
describe("a directory swapped for a symlink while the tools run", () => {
  let root: string;
  let flipper: ChildProcess;

  beforeAll(() => {
    root = realpathSync(mkdtempSync(join(tmpdir(), "mp-race-")));
    const home = join(root, "home/viewer");
    mkdirSync(join(home, "real"), { recursive: true });
    mkdirSync(join(root, "secret"));
    writeFileSync(join(home, "real/f"), "inside\n");
    writeFileSync(join(root, "secret/f"), "SECRET-CONTENT\n");
    writeFileSync(join(root, "secret/SECRET-NAME"), "");
    symlinkSync(join(root, "secret"), join(home, "link"));
    const flip = `
      const fs = require("fs");
      const [real, link, d] = process.argv.slice(1);
      const parent = process.ppid;
      // Orphaned (the test's worker killed, e.g. by a mutation run's timeout): stop, do not spin on.
      for (;;) {
        if (process.ppid !== parent) process.exit(0);
        fs.renameSync(real, d); fs.renameSync(d, real);
        fs.renameSync(link, d); fs.renameSync(d, link);
      }`;
    flipper = spawn(process.execPath, ["-e", flip, join(home, "real"), join(home, "link"), join(home, "d")], {
      stdio: "ignore",
    });
    // Lowest priority: the flips must not starve the calls on a small machine.
    setPriority(flipper.pid!, 19);
  });

  afterAll(() => {
    flipper.kill("SIGKILL");
    rmSync(root, { recursive: true, force: true });
  });

  test(`${TRIES} tries: zero outside content in any result`, async () => {
    const log = new AuditLog(asSqlDatabase(new Database(":memory:")));
    const tools = sshTools({
      pool: localPool().pool,
      target: { user: "viewer", host: "local", port: 22 },
      manifest: {
        user: "viewer",
        home: join(root, "home/viewer"),
        allowedBinaries: ["cat", "ls", "grep"],
        pathsAllowed: [`${root}/home/viewer/**`],
        maxOutputBytes: 4096,
        timeoutS: 10,
      },
      audit: log,
    });
    const byName = (name: string): Tool => tools.find((t) => t.name === name)!;
    const d = join(root, "home/viewer/d");
    const calls: Array<[string, Record<string, unknown>]> = [
      ["ssh_fs_read", { path: `${d}/f` }],
      ["ssh_fs_list", { path: d }],
      ["ssh_exec", { argv: ["cat", `${d}/f`] }],
      ["ssh_exec", { argv: ["grep", "-r", "-e", "SECRET", "-e", "inside", d] }],
      ["ssh_exec", { argv: ["ls", "-la", d] }],
    ];
    const tally = { inside: 0, droppedOutside: 0, missing: 0, other: 0 };
    const results: ToolResult[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < TRIES) {
        const [name, input] = calls[next++ % calls.length]!;
        const result = await byName(name).execute(input, { caller: "@op:example.org" });
        results.push(result);
        if (result.ok && /inside|real|\bf\b/.test(result.output)) tally.inside++;
        else if (/outside paths_allowed .*; its content was dropped$/.test(result.refusal ?? ""))
          tally.droppedOutside++;
        else if (
          /no such file|not a directory|could not|cannot be opened|not a regular file/.test(
            `${result.refusal ?? ""}${result.output}`,
          )
        )
          tally.missing++;
        else tally.other++;
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    // What the run saw, for the report: how often each side of the race was opened.
    process.stdout.write(`swap race, ${results.length} calls: ${JSON.stringify(tally)}\n`);
    const leaked = results.filter((r) => /SECRET/.test(`${r.output}${r.refusal ?? ""}`));
    expect(leaked).toEqual([]);
    expect(results).toHaveLength(TRIES);
    // The race was really run: both sides were seen.
    expect(tally.inside).toBeGreaterThan(0);
    expect(tally.droppedOutside).toBeGreaterThan(0);
    expect(log.verify().ok).toBe(true);
  }, 300_000);
});
