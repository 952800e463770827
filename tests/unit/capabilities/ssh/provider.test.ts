import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { AuditLog } from "../../../../common/audit/log";
import { asSqlDatabase } from "../../../../state/db";
import { sshTools } from "../../../../capabilities/ssh/provider";
import type { SshManifest } from "../../../../capabilities/ssh/policy";
import type { ExecResult } from "../../../../ssh/exec";
import type { Tool } from "../../../../capabilities/types";
import { localPool } from "./local-remote";

const ctx = { caller: "@op:example.org" };
const target = { user: "viewer", host: "h", port: 22 };

function manifestFor(root: string): SshManifest {
  return {
    user: "viewer",
    home: `${root}/home/viewer`,
    allowedBinaries: ["df", "cat", "ls", "find", "grep", "head", "systemctl"],
    pathsAllowed: [`${root}/home/viewer/**`],
    maxOutputBytes: 400,
    timeoutS: 5,
  };
}

/** A pool that records what it was asked to send (first, touching nothing else) and answers "ok". */
function recordingPool() {
  const sent: string[] = [];
  const pool = {
    exec: (_target: unknown, command: string): Promise<ExecResult> => {
      sent.push(command);
      return Promise.resolve({
        exitCode: 0,
        signal: null,
        stdout: "",
        stderr: "",
        bytes: 0,
        truncated: false,
        timedOut: false,
      });
    },
  };
  return { pool, sent };
}

describe("the SSH tools", () => {
  let root: string;
  let log: AuditLog;
  let tool: (name: string) => Tool;
  let remote: ReturnType<typeof localPool>;

  beforeEach(() => {
    root = realpathSync(mkdtempSync(join(tmpdir(), "mp-ssh-")));
    mkdirSync(join(root, "home/viewer/logs"), { recursive: true });
    mkdirSync(join(root, "secret"));
    writeFileSync(join(root, "home/viewer/notes"), "inside\n");
    writeFileSync(join(root, "home/viewer/logs/app.log"), "error: disk\n");
    writeFileSync(join(root, "secret/key"), "SECRET\n");
    symlinkSync(join(root, "secret/key"), join(root, "home/viewer/link"));
    symlinkSync(join(root, "secret"), join(root, "home/viewer/dirlink"));
    log = new AuditLog(asSqlDatabase(new Database(":memory:")));
    remote = localPool();
    const tools = sshTools({ pool: remote.pool, target, manifest: manifestFor(root), audit: log });
    tool = (name) => tools.find((t) => t.name === name)!;
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const resultRows = () => log.entries(0, 100).filter((e) => e.kind === "result");

  test("classify: every accepted call is a read needing no one; a change form names its class and is refused without asking", () => {
    expect(tool("ssh_fs_read").classify({ path: "/x" })).toMatchObject({ needed: false, callClass: "read" });
    expect(tool("ssh_exec").classify({ argv: ["df", "-h"] })).toEqual({
      needed: false,
      callClass: "read",
      reason: expect.stringMatching(/^df/) as string,
    });
    expect(tool("ssh_exec").classify({ argv: ["systemctl", "restart", "ssh"] })).toMatchObject({
      needed: false,
      callClass: "change",
      reason: expect.stringMatching(/^refused by policy: .*an SSH-only device only reads/) as string,
    });
    expect(tool("ssh_exec").classify({ argv: ["rm", "-rf", "/"] })).toMatchObject({
      needed: false,
      reason: expect.stringMatching(/^refused by policy/) as string,
    });
    expect(tool("ssh_exec").description).toMatch(/^ls \[-l -a/m);
  });

  test("a file is read through its descriptor; the audit call row comes before the command", async () => {
    const result = await tool("ssh_fs_read").execute({ path: `${root}/home/viewer/notes` }, ctx);
    expect(result).toMatchObject({ ok: true, output: "inside", auditId: 1 });
    expect(remote.commands).toHaveLength(1);
    expect(remote.commands[0]).toMatch(/^timeout -k 2 5 sh -c /);
    expect(log.entries(0, 10).map((e) => `${e.kind}:${e.capability}:${e.exit_code}`)).toEqual([
      "call:ssh_fs_read:null",
      "result:ssh_fs_read:0",
    ]);
    expect(log.verify().ok).toBe(true);
  });

  test("a symlink to outside: content dropped, refusal returned and written in the result row", async () => {
    const result = await tool("ssh_fs_read").execute({ path: `${root}/home/viewer/link` }, ctx);
    expect(result.refusal).toBe(
      `${root}/home/viewer/link (which is ${root}/secret/key) is outside paths_allowed (${root}/home/viewer/**); its content was dropped`,
    );
    expect(result.output).not.toContain("SECRET");
    expect(remote.commands).toHaveLength(1);
    expect(resultRows()[0]!.error).toMatch(/^refused: .* its content was dropped$/);
    const listed = await tool("ssh_exec").execute(
      { argv: ["grep", "-r", "S", `${root}/home/viewer/dirlink`] },
      ctx,
    );
    expect(listed.refusal).toMatch(/which is .*\/secret\) is outside paths_allowed/);
  });

  test("ssh_exec runs on descriptors and shows real paths; no path means the home", async () => {
    const grep = await tool("ssh_exec").execute(
      { argv: ["grep", "-r", "error", `${root}/home/viewer/logs`] },
      ctx,
    );
    expect(grep.output).toBe(`${root}/home/viewer/logs/app.log:error: disk`);
    const ls = await tool("ssh_exec").execute({ argv: ["ls"] }, ctx);
    expect(ls.output.split("\n")).toEqual(["dirlink", "link", "logs", "notes"]);
    const lsFile = await tool("ssh_exec").execute({ argv: ["ls", "-l", `${root}/home/viewer/notes`] }, ctx);
    expect(lsFile.output).toMatch(new RegExp(`^-rw.* 7 .* ${root}/home/viewer/notes$`));
  });

  test("ssh_fs_list lists a directory; a file, a FIFO or a missing path is a sentence", async () => {
    const list = await tool("ssh_fs_list").execute({ path: `${root}/home/viewer/logs/` }, ctx);
    expect(list.output).toMatch(/app\.log$/m);
    expect((await tool("ssh_fs_list").execute({ path: `${root}/home/viewer/notes` }, ctx)).refusal).toMatch(
      /is not a directory — use ssh_fs_read/,
    );
    expect((await tool("ssh_fs_read").execute({ path: `${root}/home/viewer/logs` }, ctx)).refusal).toMatch(
      /is a directory — use ssh_fs_list/,
    );
    expect((await tool("ssh_fs_read").execute({ path: `${root}/home/viewer/none` }, ctx)).refusal).toBe(
      `no such file or directory: ${root}/home/viewer/none`,
    );
    execFileSync("mkfifo", [join(root, "home/viewer/fifo")]);
    expect((await tool("ssh_fs_read").execute({ path: `${root}/home/viewer/fifo` }, ctx)).refusal).toMatch(
      /is not a regular file or a directory/,
    );
  });

  test("output is capped at max_output_bytes", async () => {
    writeFileSync(join(root, "home/viewer/big"), "x".repeat(1000));
    const result = await tool("ssh_fs_read").execute({ path: `${root}/home/viewer/big` }, ctx);
    expect(result).toMatchObject({
      truncated: true,
      output: `${"x".repeat(400)}\n[output truncated at 400 bytes]`,
    });
  });
});

describe("refused before anything is sent", () => {
  const manifest = manifestFor("/srv");

  test.each([
    ["ssh_exec", { argv: ["cat", "/etc/shadow"] }, /\/etc\/shadow is outside paths_allowed/],
    ["ssh_exec", { argv: ["cat", "/srv/home/viewer/../../../etc/shadow"] }, /\/etc\/shadow is outside/],
    ["ssh_exec", { argv: ["cat", "notes"] }, /"notes" is a relative path — give an absolute path/],
    ["ssh_exec", { argv: ["rm", "-rf", "/"] }, /rm is not an allowed program/],
    ["ssh_exec", { argv: ["systemctl", "stop", "ssh"] }, /only reads/],
    ["ssh_fs_read", { path: "/etc/passwd" }, /outside paths_allowed/],
    ["ssh_fs_list", { path: "relative/dir" }, /relative path/],
  ])("%s %j", async (name, input, reason) => {
    const log = new AuditLog(asSqlDatabase(new Database(":memory:")));
    const { pool, sent } = recordingPool();
    const t = sshTools({ pool, target, manifest, audit: log }).find((x) => x.name === name)!;
    const result = await t.execute(input, ctx);
    expect(result.refusal).toMatch(reason);
    expect(sent).toEqual([]);
    expect(log.entries(0, 10).map((e) => [e.kind, e.refusal])).toEqual([
      ["call", expect.stringMatching(reason)],
    ]);
  });

  test("no audit row, no call: when the audit write fails the command is not sent", async () => {
    // A real audit database that cannot be written (opened read-only), not a fake that throws:
    // the pool below records every command it is given and answers, so only the order in the
    // provider keeps the command from being sent.
    const file = join(mkdtempSync(join(tmpdir(), "mp-ssh-audit-")), "audit.db");
    const writable = new Database(file);
    const working = new AuditLog(asSqlDatabase(writable));
    const control = recordingPool();
    const sent = await sshTools({ pool: control.pool, target, manifest, audit: working })[0]!.execute(
      { argv: ["df"] },
      ctx,
    );
    expect(sent).toMatchObject({ auditId: 1 });
    expect(control.sent).toHaveLength(1);
    writable.close();

    const readOnly = new Database(file, { readonly: true });
    const failing = new AuditLog(asSqlDatabase(readOnly));
    const { pool, sent: attempted } = recordingPool();
    // better-sqlite3's error class comes from whichever test file loaded the addon first in this
    // worker (another realm), so jest's toThrow may not see it as an Error: match its fields.
    const outcome = await sshTools({ pool, target, manifest, audit: failing })[0]!
      .execute({ argv: ["df"] }, ctx)
      .then(
        () => "sent",
        (error: unknown) => error,
      );
    expect(outcome).toMatchObject({
      code: "SQLITE_READONLY",
      message: expect.stringMatching(/readonly/) as unknown,
    });
    expect(attempted).toEqual([]);
    expect(failing.entries(0, 10).map((e) => [e.id, e.kind])).toEqual([
      [1, "call"],
      [2, "result"],
    ]);
    readOnly.close();
  });
});

describe("what reaches the audit after a call is sent", () => {
  const manifest = manifestFor("/srv");
  const call = (pool: { exec: () => Promise<ExecResult> }) => {
    const log = new AuditLog(asSqlDatabase(new Database(":memory:")));
    const [exec] = sshTools({ pool, target, manifest, audit: log, nonce: () => "mpfixed" });
    return { log, run: () => exec!.execute({ argv: ["df"] }, ctx) };
  };

  test("a connection that fails after the call row: an error result row, and the error for the model", async () => {
    const { log, run } = call({ exec: () => Promise.reject(new Error("connection lost")) });
    expect(await run()).toEqual({ ok: false, output: "error: connection lost", auditId: 1 });
    expect(log.entries(0, 10).map((e) => [e.id, e.kind, e.call_id, e.error, e.exit_code])).toEqual([
      [1, "call", 1, null, null],
      [2, "result", 1, "connection lost", null],
    ]);
    expect(log.entries(0, 10)[1]!.duration_ms).toBeGreaterThanOrEqual(0);
    expect(log.entries(0, 10)[1]!.duration_ms).toBeLessThan(60_000);
  });

  test("a program cut off by the time limit: its output with the marker, and 'timed out' in the result row", async () => {
    const stdout = "mpfixed:pid:9\nmpfixed:end\nFilesystem\n";
    const { log, run } = call({
      exec: () =>
        Promise.resolve({
          exitCode: null,
          signal: "SIGKILL",
          stdout,
          stderr: "",
          bytes: stdout.length,
          truncated: false,
          timedOut: true,
        }),
    });
    expect(await run()).toEqual({
      ok: false,
      output: "Filesystem\n\n[timed out after 5 s]\n[exit code SIGKILL]",
      truncated: false,
      exitCode: null,
      auditId: 1,
    });
    expect(log.entries(0, 10)[1]).toMatchObject({ kind: "result", error: "timed out", bytes: stdout.length });
  });

  test("output dropped by the bot is recorded as a refusal in the result row", async () => {
    const { log, run } = call({
      exec: () =>
        Promise.resolve({
          exitCode: 3,
          signal: null,
          stdout: "junk",
          stderr: "",
          bytes: 4,
          truncated: false,
          timedOut: false,
        }),
    });
    const result = await run();
    expect(result).toMatchObject({
      ok: false,
      auditId: 1,
      refusal: expect.stringMatching(/did not open every path/) as unknown,
    });
    expect(result.output).toBe(`refused: ${result.refusal}`);
    expect(log.entries(0, 10)[1]).toMatchObject({
      kind: "result",
      exit_code: 3,
      error: `refused: ${result.refusal}`,
    });
  });

  test("a path that is not a string is refused before anything is sent", async () => {
    const log = new AuditLog(asSqlDatabase(new Database(":memory:")));
    const { pool, sent } = recordingPool();
    const read = sshTools({ pool, target, manifest, audit: log }).find((t) => t.name === "ssh_fs_read")!;
    expect(await read.execute({ path: 42 }, ctx)).toMatchObject({
      ok: false,
      refusal: "path must be a string",
    });
    expect(sent).toEqual([]);
  });

  test("the tools' time limit is the manifest's plus five seconds, and the descriptions name paths_allowed", () => {
    const log = new AuditLog(asSqlDatabase(new Database(":memory:")));
    const tools = sshTools({ pool: recordingPool().pool, target, manifest, audit: log });
    expect(tools.map((t) => t.timeoutMs)).toEqual([10_000, 10_000, 10_000]);
    for (const t of tools)
      expect(t.description).toContain("Paths must be absolute and inside: /srv/home/viewer/**.");
  });
});
