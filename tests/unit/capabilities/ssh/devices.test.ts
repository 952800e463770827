import { mkdtempSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import Database from "better-sqlite3";
import { join } from "node:path";
import { SshDevices } from "../../../../capabilities/ssh/devices";
import type { SshManifest } from "../../../../capabilities/ssh/policy";
import { UserError } from "../../../../common/errors";
import type { ExecResult } from "../../../../ssh/exec";
import type { SshPool } from "../../../../ssh/pool";
import { openDatabase } from "../../../../state/db";
import { DeviceStore } from "../../../../state/devices";
import { BOT_MIGRATIONS } from "../../../../state/migrations";

const manifest: SshManifest = {
  user: "viewer",
  home: "/home/viewer",
  allowedBinaries: ["df"],
  pathsAllowed: ["/home/viewer/**"],
  maxOutputBytes: 400,
  timeoutS: 5,
};

function setup() {
  const devices = new DeviceStore(openDatabase(":memory:", BOT_MIGRATIONS));
  const sent: Array<{ target: unknown; command: string }> = [];
  const pool = {
    exec: (target: unknown, command: string): Promise<ExecResult> => {
      sent.push({ target, command });
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
  } as unknown as SshPool;
  const auditDir = join(mkdtempSync(join(tmpdir(), "mp-ssh-devices-")), "audit");
  return { devices, sent, auditDir, ssh: new SshDevices(devices, pool, auditDir) };
}

describe("SshDevices", () => {
  test("the audit directory is made 0700", () => {
    const { auditDir } = setup();
    expect(statSync(auditDir).mode & 0o777).toBe(0o700);
  });

  test("only a live SSH-only device with a manifest has tools", () => {
    const { devices, ssh } = setup();
    const refusal = (name: string) => new UserError(`${name} is not a live SSH-only device — see !add-pc`);
    expect(() => ssh.toolsFor("nope")).toThrow(refusal("nope"));
    devices.claim("wg1", "wg");
    devices.update("wg1", { status: "live", manifest: JSON.stringify(manifest) });
    expect(() => ssh.toolsFor("wg1")).toThrow(refusal("wg1"));
    devices.claim("new1", "ssh");
    devices.update("new1", { manifest: JSON.stringify(manifest) });
    expect(() => ssh.toolsFor("new1")).toThrow(refusal("new1"));
    devices.claim("bare", "ssh");
    devices.update("bare", { status: "live" });
    expect(() => ssh.toolsFor("bare")).toThrow(refusal("bare"));
  });

  test("a live device's tools go to its SSH target and write to its own audit file, opened once", async () => {
    const { devices, ssh, sent, auditDir } = setup();
    devices.claim("pc1", "ssh");
    devices.update("pc1", {
      status: "live",
      ssh_user: "viewer",
      ssh_host: "10.0.0.5",
      ssh_port: 2222,
      manifest: JSON.stringify(manifest),
    });
    const tools = ssh.toolsFor("pc1");
    expect(tools.map((t) => t.name)).toContain("ssh_exec");
    await tools.find((t) => t.name === "ssh_exec")!.execute({ argv: ["df"] }, { caller: "@op:example.org" });
    expect(sent.map((s) => s.target)).toEqual([{ user: "viewer", host: "10.0.0.5", port: 2222 }]);
    expect(ssh.audit("pc1")).toBe(ssh.audit("pc1"));
    expect(ssh.audit("pc1").head().count).toBe(2);
    expect(statSync(join(auditDir, "pc1.db")).isFile()).toBe(true);
    ssh.closeAll();
    // Closed and forgotten: the next use opens the file again and finds the same chain.
    expect(ssh.audit("pc1").head().count).toBe(2);
    expect(ssh.audit("pc1").verify().ok).toBe(true);
  });

  test("the audit database fsyncs every commit (synchronous = FULL), set on the connection it writes with", () => {
    const { ssh } = setup();
    const pragma = jest.spyOn(Database.prototype, "pragma");
    try {
      const log = ssh.audit("pc2");
      const calls = pragma.mock.calls.map(([source]) => source);
      expect(calls).toContain("synchronous = FULL");
      const connection = pragma.mock.contexts[calls.indexOf("synchronous = FULL")] as Database.Database;
      expect(connection.pragma("synchronous", { simple: true })).toBe(2);
      expect(log.head().count).toBe(0);
    } finally {
      pragma.mockRestore();
    }
  });
});
