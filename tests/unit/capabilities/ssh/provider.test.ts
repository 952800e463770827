import Database from "better-sqlite3";
import { AuditLog } from "../../../../common/audit/log";
import { asSqlDatabase } from "../../../../state/db";
import { sshTools } from "../../../../capabilities/ssh/provider";
import type { SshManifest } from "../../../../capabilities/ssh/policy";
import type { ExecResult } from "../../../../ssh/exec";
import type { Tool } from "../../../../capabilities/types";

const manifest: SshManifest = {
  user: "viewer",
  allowedBinaries: ["df", "cat", "ls"],
  pathsAllowed: ["/home/viewer/**"],
  maxOutputBytes: 100,
  timeoutS: 5,
};

/** A remote that resolves paths from a table (symlinks included) and records what it was asked to run. */
function fakeRemote(links: Record<string, string>, audit: () => AuditLog) {
  const commands: Array<{ command: string; auditCountAtRun: number }> = [];
  const pool = {
    exec: (_target: unknown, command: string): Promise<ExecResult> => {
      commands.push({ command, auditCountAtRun: audit().head().count });
      const realpath = command.match(/realpath -e -- (.*)$/);
      const ok = (stdout: string): ExecResult => ({
        exitCode: 0,
        signal: null,
        stdout,
        stderr: "",
        bytes: stdout.length,
        truncated: false,
        timedOut: false,
      });
      if (realpath) {
        const paths = realpath[1]!.split(" ");
        if (paths.some((p) => !(p in links))) return Promise.resolve({ ...ok(""), exitCode: 1 });
        return Promise.resolve(ok(paths.map((p) => links[p]).join("\n") + "\n"));
      }
      return Promise.resolve(ok(`ran: ${command}`));
    },
  };
  return { pool, commands };
}

function setup(links: Record<string, string> = {}) {
  const log = new AuditLog(asSqlDatabase(new Database(":memory:")));
  const remote = fakeRemote(links, () => log);
  const tools = sshTools({
    pool: remote.pool,
    target: { user: "viewer", host: "h", port: 22 },
    manifest,
    audit: log,
  });
  const tool = (name: string): Tool => tools.find((t) => t.name === name)!;
  return { log, remote, tool };
}

const ctx = { caller: "@op:example.org" };

describe("the SSH tools", () => {
  test("exactly ssh_exec, ssh_fs_read and ssh_fs_list, none needing approval (they only read)", () => {
    const { tool } = setup();
    expect(["ssh_exec", "ssh_fs_read", "ssh_fs_list"].map((n) => tool(n)?.needsApproval)).toEqual([
      false,
      false,
      false,
    ]);
  });

  test("the audit entry is written before the command runs, and the result after", async () => {
    const { log, remote, tool } = setup();
    const result = await tool("ssh_exec").execute({ argv: ["df", "-h"] }, ctx);
    expect(result).toMatchObject({ ok: true, output: "ran: timeout -k 2 5 df -h", auditId: 1 });
    expect(remote.commands).toEqual([{ command: "timeout -k 2 5 df -h", auditCountAtRun: 1 }]);
    expect(log.entries(0, 10).map((e) => `${e.kind}:${e.capability}:${e.exit_code}`)).toEqual([
      "call:ssh_exec:null",
      "result:ssh_exec:0",
    ]);
    expect(log.verify().ok).toBe(true);
  });

  test("no audit entry, no command: a failing audit write stops the call", async () => {
    const db = new Database(":memory:");
    const log = new AuditLog(asSqlDatabase(db));
    const remote = fakeRemote({}, () => log);
    const tools = sshTools({
      pool: remote.pool,
      target: { user: "viewer", host: "h", port: 22 },
      manifest,
      audit: log,
    });
    db.close();
    await expect(tools[0]!.execute({ argv: ["df"] }, ctx)).rejects.toThrow();
    expect(remote.commands).toEqual([]);
  });

  test("a refused call is audited with its reason and nothing is sent", async () => {
    const { log, remote, tool } = setup();
    const result = await tool("ssh_exec").execute({ argv: ["rm", "-rf", "/home/viewer"] }, ctx);
    expect(result.ok).toBe(false);
    expect(result.refusal).toMatch(/rm is not an allowed binary/);
    expect(remote.commands).toEqual([]);
    const entries = log.entries(0, 10);
    expect(entries.map((e) => e.kind)).toEqual(["call"]);
    expect(entries[0]!.refusal).toMatch(/rm is not/);
  });

  test("a symlink out of paths_allowed is refused after resolution, and the refusal is audited", async () => {
    const { log, remote, tool } = setup({ "/home/viewer/link": "/root/secret" });
    const result = await tool("ssh_fs_read").execute({ path: "/home/viewer/link" }, ctx);
    expect(result.refusal).toBe(
      "/home/viewer/link (which is /root/secret) is outside paths_allowed (/home/viewer/**)",
    );
    expect(remote.commands.map((c) => c.command)).toEqual([
      "timeout -k 2 5 realpath -e -- /home/viewer/link",
    ]);
    expect(log.entries(0, 10).map((e) => e.error ?? e.refusal)).toEqual([
      null,
      expect.stringMatching(/^refused: /),
    ]);
  });

  test("reads and listings run on the resolved path, so a later swap of the link changes nothing", async () => {
    const { remote, tool } = setup({ "/home/viewer/notes": "/home/viewer/real/notes" });
    await tool("ssh_fs_read").execute({ path: "/home/viewer/notes" }, ctx);
    expect(remote.commands[1]!.command).toBe("timeout -k 2 5 head -c 101 -- /home/viewer/real/notes");
  });

  test("'..' cannot climb out: the normalised path is what gets resolved and checked", async () => {
    const { tool } = setup({ "/home/lucas/x": "/home/lucas/x" });
    const result = await tool("ssh_fs_list").execute({ path: "/home/viewer/../lucas/x" }, ctx);
    expect(result.refusal).toMatch(/^\/home\/lucas\/x is outside paths_allowed/);
  });
});
