import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { AnthropicStandIn } from "../../lab/anthropic-standin";
import { STANDIN_KEY } from "./support/agents";
import { joinDeviceRoom, oneToolCall, revokeDevice, type DeviceRoom } from "./support/device-room";
import { describeLab } from "./support/lab";
import { writeSafetyConfig } from "./support/safety-config";
import { LabSession } from "./support/session";

const MARKER = "root-pc-marker-ssh-a93c.txt";

/**
 * The same root PC as an SSH-only device: `!add-pc rootssh --via ssh --ssh pc3-root`; the
 * agent's ssh_fs_list /root and ssh_exec ls -la /root see pc3's private /root (the marker
 * the test put there from the root namespace); /etc/shadow stays out of the model's reach.
 * Revoked at the end.
 */
describeLab("safety: a root PC over SSH only (pc3)", (lab) => {
  let standIn: AnthropicStandIn;
  let session: LabSession;
  let device: DeviceRoom;
  const marker = (): string => join(lab().hosts.pc3!.rootHome!, MARKER);

  beforeAll(async () => {
    writeFileSync(marker(), "put here by the test\n");
    standIn = await AnthropicStandIn.start({ apiKey: STANDIN_KEY });
    const configFile = writeSafetyConfig(lab(), "safety-root-ssh", standIn.url);
    session = new LabSession(lab(), "safety-root-ssh", {}, { configFile });
    await session.start();
  }, 120_000);

  afterAll(async () => {
    await session?.stop();
    await standIn?.stop();
    rmSync(marker(), { force: true });
  });

  test("ssh_fs_list /root and ssh_exec ls -la /root show the marker in pc3's private /root", async () => {
    const { sent, reaction } = await session.command("!add-pc rootssh --via ssh --ssh pc3-root");
    if (reaction !== "✅")
      throw new Error(`!add-pc rootssh failed: ${session.noticeAfter(sent) ?? "(no notice)"}`);
    device = await joinDeviceRoom(session, lab(), "rootssh");

    const listed = await oneToolCall(session, standIn, device, "ssh_fs_list", { path: "/root" });
    expect(listed.result.isError).toBe(false);
    expect(listed.result.content).toContain(MARKER);

    const ls = await oneToolCall(session, standIn, device, "ssh_exec", { argv: ["ls", "-la", "/root"] });
    expect(ls.result.content).not.toMatch(/was not found/);
    expect(ls.result.isError).toBe(false);
    expect(ls.result.content).toContain(MARKER);
  }, 300_000);

  test("as root, the password hashes in /etc/shadow are not handed to the model", async () => {
    const shadow = await oneToolCall(session, standIn, device, "ssh_fs_read", { path: "/etc/shadow" });
    // Only the shape is printed: user names, never a hash.
    const shape = shadow.result.content.replace(/^([^:\n]*):[^\n]*/gm, "$1:…").slice(0, 80);
    process.stdout.write(
      `ssh_fs_read /etc/shadow as root → isError ${shadow.result.isError}: ${JSON.stringify(shape)}\n`,
    );
    // A boolean, so a failure does not print the file.
    expect({ shadowLinesShown: /^root:[^:]*:\d+:/m.test(shadow.result.content) }).toEqual({
      shadowLinesShown: false,
    });
    expect(shadow.result.isError).toBe(true);
  }, 120_000);

  test("!revoke rootssh leaves the lab as it was", async () => {
    expect(await revokeDevice(session, lab(), "rootssh")).toMatch(/rootssh revoked/);
  }, 120_000);
});
