import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { AnthropicStandIn } from "../../lab/anthropic-standin";
import { loadConfig } from "../../config/load";
import { openDatabase } from "../../state/db";
import { DeviceStore } from "../../state/devices";
import { BOT_MIGRATIONS } from "../../state/migrations";
import { STANDIN_KEY } from "./support/agents";
import { joinDeviceRoom, oneToolCall, revokeDevice, type DeviceRoom } from "./support/device-room";
import { sshAs } from "./support/hosts";
import { describeLab } from "./support/lab";
import { writeSafetyConfig } from "./support/safety-config";
import { LabSession } from "./support/session";

const MARKER = "root-pc-marker-wg-4f1e.txt";

/**
 * A PC reached as root (pc3, like a Raspberry Pi with a root login): `!add-pc --via wg
 * --ssh pc3-root` installs the device agent for root, its manifest's paths come from root's
 * real home (/root, from the account database — not /home/root), and the agent lists and
 * runs `ls` in pc3's private /root. Revoked at the end, so the lab is left clean.
 */
describeLab("safety: a root PC over WireGuard (pc3)", (lab) => {
  let standIn: AnthropicStandIn;
  let session: LabSession;
  let stateDir: string;
  let device: DeviceRoom;
  const marker = (): string => join(lab().hosts.pc3!.rootHome!, MARKER);

  beforeAll(async () => {
    sshAs(
      lab(),
      "pc3",
      "root",
      "wg-quick down mesh0 2>/dev/null; rm -f /etc/wireguard/mesh0.conf; pkill -f '/[m]eshpilot/(supervise|device-agent)'; rm -rf ~/.local/share/meshpilot ~/.config/meshpilot ~/.local/state/meshpilot; true",
    );
    writeFileSync(marker(), "put here by the test\n");
    standIn = await AnthropicStandIn.start({ apiKey: STANDIN_KEY });
    const configFile = writeSafetyConfig(lab(), "safety-root-wg", standIn.url);
    stateDir = loadConfig(configFile).config.state_dir;
    session = new LabSession(lab(), "safety-root-wg", {}, { configFile });
    await session.start();
  }, 120_000);

  afterAll(async () => {
    await session?.stop();
    await standIn?.stop();
    rmSync(marker(), { force: true });
  });

  test("!add-pc rootpc --via wg --ssh pc3-root: paths from /root; fs.list and ls -la /root show the marker; then revoked", async () => {
    const { sent, reaction } = await session.command("!add-pc rootpc --via wg --ssh pc3-root");
    if (reaction !== "✅")
      throw new Error(`!add-pc rootpc --via wg failed: ${session.noticeAfter(sent) ?? "(no notice)"}`);
    const db = openDatabase(join(stateDir, "meshpilot.db"), BOT_MIGRATIONS);
    const row = new DeviceStore(db).get("rootpc")!;
    db.close();
    const manifest = JSON.parse(row.manifest ?? "{}") as { paths_allowed?: string[]; default_cwd?: string };
    expect(manifest.paths_allowed).toContain("/root/**");
    expect(JSON.stringify(manifest)).not.toContain("/home/root");
    expect(manifest.default_cwd).toBe("/root");

    device = await joinDeviceRoom(session, lab(), "rootpc");
    const listed = await oneToolCall(session, standIn, device, "fs_list", { path: "/root" });
    expect(listed.result.isError).toBe(false);
    expect(listed.result.content).toContain(MARKER);

    const ls = await oneToolCall(session, standIn, device, "shell_exec", { argv: ["ls", "-la", "/root"] });
    expect(ls.result.content).not.toMatch(/was not found/);
    expect(ls.result.isError).toBe(false);
    expect(ls.result.content).toContain(MARKER);

    // Root's home is allowed, the rest of the disk is not: /etc/shadow is refused.
    const shadow = await oneToolCall(session, standIn, device, "shell_exec", {
      argv: ["cat", "/etc/shadow"],
    });
    expect(shadow.result.isError).toBe(true);
    expect(shadow.result.content).toMatch(/^Refused by policy: \/etc\/shadow is outside the allowed paths/);

    const outcome = await revokeDevice(session, lab(), "rootpc");
    expect(outcome).toMatch(/✓ rootpc revoked/);
    const traces = sshAs(
      lab(),
      "pc3",
      "root",
      "ls -d ~/.local/share/meshpilot ~/.config/meshpilot /etc/wireguard/mesh0.conf 2>/dev/null; true",
    );
    expect(traces.trim()).toBe("");
  }, 300_000);
});
