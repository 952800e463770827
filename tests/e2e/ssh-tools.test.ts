import { execFileSync } from "node:child_process";
import { chownSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describeLab } from "./support/lab";
import { LabSession } from "./support/session";
import { loadConfig } from "../../config/load";
import { openDatabase } from "../../state/db";
import { BOT_MIGRATIONS } from "../../state/migrations";
import { DeviceStore } from "../../state/devices";
import { HostKeyStore } from "../../ssh/host-keys";
import { SshPool } from "../../ssh/pool";
import type { HostKeyChangedError } from "../../ssh/connect";
import { SshDevices } from "../../capabilities/ssh/devices";
import { readPrivateKeyFile } from "../../provisioning/keys-on-disk";
import type { Tool } from "../../capabilities/types";
import { memoryLogger } from "../unit/support/fakes";

/**
 * The SSH provider's tools against pc2's real sshd, from a device the real bot added.
 * The tools run in this process (there is no agent yet to call them), on the bot's own
 * state: its device row, its pinned host key, its per-device audit log.
 */
describeLab("SSH-only devices: the read-only tools", (lab) => {
  let session: LabSession;
  let sshDevices: SshDevices;
  let pool: SshPool;
  const changedKeys: HostKeyChangedError[] = [];
  const ctx = { caller: "@operator:meshpilot.test" };
  const tool = (name: string): Tool => sshDevices.toolsFor("web2").find((t) => t.name === name)!;
  const home = (): string => join(lab().hosts.pc2!.home!, lab().hosts.pc2!.viewerUser!);
  const sshd = (action: string): void => {
    execFileSync("bash", [join(lab().repo, "lab/sshd.sh"), "pc2", action], {
      stdio: "inherit",
      timeout: 30_000,
    });
  };

  beforeAll(async () => {
    session = new LabSession(lab(), "ssh-tools");
    await session.start();
    const { reaction } = await session.command("!add-pc web2 --via ssh --ssh pc2-viewer");
    if (reaction !== "✅") throw new Error("could not add web2");
    const config = loadConfig(lab().botConfig).config;
    const db = openDatabase(join(config.state_dir, "meshpilot.db"), BOT_MIGRATIONS);
    const hostKeys = new HostKeyStore(db);
    pool = new SshPool({
      privateKeyFor: () => readPrivateKeyFile(config.ssh.key_file!),
      pinnedFingerprint: (id) => hostKeys.get(id),
      onHostKeyChanged: (error) => changedKeys.push(error),
      maxChannelsPerHost: 4,
      log: memoryLogger().log,
    });
    sshDevices = new SshDevices(new DeviceStore(db), pool, join(config.state_dir, "audit"));
    const uid = Number(execFileSync("id", ["-u", lab().hosts.pc2!.viewerUser!], { encoding: "utf8" }));
    mkdirSync(join(home(), "notes"), { recursive: true });
    writeFileSync(join(home(), "notes", "todo.txt"), "water the plants\n");
    if (!existsSync(join(home(), "escape"))) symlinkSync("/root", join(home(), "escape"));
    for (const p of ["notes", "notes/todo.txt"]) chownSync(join(home(), p), uid, uid);
  }, 120_000);

  afterAll(async () => {
    pool?.closeAll();
    sshd("restore");
    rmSync(join(home(), "escape"), { force: true });
    await session?.stop();
  });

  test("ssh_exec runs a read-only program and reports its real output", async () => {
    const result = await tool("ssh_exec").execute({ argv: ["df", "-h", "/home/viewer"] }, ctx);
    expect(result.ok).toBe(true);
    expect(result.output).toMatch(/^Filesystem\s+Size/);
  });

  test("ssh_fs_read and ssh_fs_list read files and directories", async () => {
    expect((await tool("ssh_fs_read").execute({ path: "/home/viewer/notes/todo.txt" }, ctx)).output).toBe(
      "water the plants",
    );
    const listing = await tool("ssh_fs_list").execute({ path: "/home/viewer/notes" }, ctx);
    expect(listing.output).toMatch(/ todo\.txt$/m);
    // /etc is not allowed by default (for a root login it holds the machine's secrets).
    expect((await tool("ssh_fs_read").execute({ path: "/etc/debian_version" }, ctx)).refusal).toMatch(
      /\/etc\/debian_version is outside paths_allowed/,
    );
    // A link in the home whose real path is outside: refused, and its content is not shown.
    const link = join(home(), "os-release-link");
    if (!existsSync(link)) symlinkSync("/usr/lib/os-release", link);
    const viaLink = await tool("ssh_fs_read").execute({ path: "/home/viewer/os-release-link" }, ctx);
    expect(viaLink.refusal).toMatch(/\/usr\/lib\/os-release/);
    expect(viaLink.output).not.toMatch(/PRETTY_NAME/);
  });

  test("the audit entry exists before the command reaches the host, and the result after", async () => {
    const audit = sshDevices.audit("web2");
    expect((await tool("ssh_exec").execute({ argv: ["uptime"] }, ctx)).ok).toBe(true); // pooled
    const before = audit.head().count;
    // Freeze pc2's sshd (listener and sessions): the command cannot be received while frozen.
    const sshdPids = execFileSync("ip", ["netns", "pids", "pc2"], { encoding: "utf8" })
      .split("\n")
      .filter((pid) => pid && commOf(pid) === "sshd");
    execFileSync("kill", ["-STOP", ...sshdPids]);
    let running: Promise<unknown> | undefined;
    try {
      running = tool("ssh_exec").execute({ argv: ["cat", "/home/viewer/notes/todo.txt"] }, ctx);
      for (let i = 0; i < 400 && audit.head().count === before; i++)
        await new Promise((r) => setTimeout(r, 25));
      expect(audit.entries(before, 10)).toEqual([
        expect.objectContaining({
          kind: "call",
          capability: "ssh_exec",
          args: '{"argv":["cat","/home/viewer/notes/todo.txt"]}',
        }),
      ]);
    } finally {
      execFileSync("kill", ["-CONT", ...sshdPids]);
    }
    const result = (await running) as { output: string };
    expect(result.output).toBe("water the plants");
    expect(audit.entries(before, 10).map((e) => e.kind)).toEqual(["call", "result"]);
  });

  test.each([
    [
      "a disallowed binary",
      "ssh_exec",
      { argv: ["rm", "-rf", "/home/viewer/notes"] },
      /^rm is not an allowed program; allowed: /,
    ],
    [
      "a write attempt",
      "ssh_exec",
      { argv: ["systemctl", "stop", "ssh"] },
      /^systemctl is not an allowed program; allowed: /,
    ],
    // No shell parses these words: each is one path, and none is inside paths_allowed.
    ["a ;", "ssh_exec", { argv: ["ls", "/home/viewer;touch /tmp/pwned"] }, /is outside paths_allowed/],
    ["a $()", "ssh_exec", { argv: ["ls", "$(touch /tmp/pwned)"] }, /is a relative path/],
    ["backticks", "ssh_exec", { argv: ["ls", "`touch /tmp/pwned`"] }, /is a relative path/],
    ["a newline", "ssh_exec", { argv: ["ls", "/home\ntouch /tmp/pwned"] }, /contains a line break/],
    ["a path outside", "ssh_fs_read", { path: "/root/.bashrc" }, /is outside paths_allowed/],
    [
      "a .. escape",
      "ssh_fs_list",
      { path: "/home/viewer/../lucas" },
      /\/home\/lucas is outside paths_allowed/,
    ],
    [
      "a symlink escape",
      "ssh_fs_list",
      { path: "/home/viewer/escape" },
      // viewer cannot even open /root: refused at open, nothing about it shown.
      /\/home\/viewer\/escape cannot be opened by viewer/,
    ],
    ["a path argument outside", "ssh_exec", { argv: ["cat", "/root/.bashrc"] }, /is outside paths_allowed/],
  ])("%s is refused and audited, and nothing happens on pc2", async (_what, name, input, reason) => {
    const audit = sshDevices.audit("web2");
    const before = audit.head().count;
    const result = await tool(name).execute(input, ctx);
    expect(result.ok).toBe(false);
    expect(result.refusal).toMatch(reason);
    const entries = audit.entries(before, 10);
    expect(entries[0]).toMatchObject({ kind: "call", capability: name });
    expect(entries.some((e) => (e.refusal ?? e.error ?? "").match(reason))).toBe(true);
    expect(existsSync("/tmp/pwned")).toBe(false);
  });

  test("!audit shows the calls in the room, and the chain verifies", async () => {
    const { sent, reaction } = await session.command("!audit web2 3");
    expect(reaction).toBe("✅");
    const grid = session.noticeAfter(sent)!;
    expect(grid).toMatch(/^audit web2 — chain ok, \d+ entries/);
    for (const line of grid.split("\n")) expect(line.length).toBeLessThanOrEqual(40);
  });

  test("pc2's sshd killed mid-session and back: the next call reconnects", async () => {
    expect((await tool("ssh_exec").execute({ argv: ["uptime"] }, ctx)).ok).toBe(true);
    sshd("restart");
    const result = await tool("ssh_exec").execute({ argv: ["uptime"] }, ctx);
    expect(result.ok).toBe(true);
    expect(result.output).toMatch(/load average/);
  });

  test("a replaced host key is refused, the refusal is reported, and the operator is told in the control room", async () => {
    pool.closeAll();
    sshd("rekey");
    const result = await tool("ssh_exec").execute({ argv: ["uptime"] }, ctx);
    expect(result.ok).toBe(false);
    expect(result.output).toMatch(/host key of viewer@192\.0\.2\.12 has changed .* refusing to connect/);
    expect(changedKeys).toHaveLength(1);
    const { sent, reaction } = await session.command("!add-pc web2 --via ssh --ssh pc2-viewer");
    expect(reaction).toBe("❌");
    expect(String(session.mentionAfter(sent)?.content.body)).toMatch(
      /host key of viewer@192\.0\.2\.12 has changed/,
    );
  });
});

/** A process's name, or "" when it has just ended. */
function commOf(pid: string): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  } catch {
    return "";
  }
}
