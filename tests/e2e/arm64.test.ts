import { join } from "node:path";
import { AnthropicStandIn } from "../../lab/anthropic-standin";
import { reactionTo } from "../../lab/matrix-client";
import { loadConfig } from "../../config/load";
import { agentRequest } from "../../capabilities/wg/agent-http";
import { readAgentSecret } from "../../state/agent-secret";
import { openDatabase } from "../../state/db";
import { DeviceStore } from "../../state/devices";
import { BOT_MIGRATIONS } from "../../state/migrations";
import { STANDIN_KEY } from "./support/agents";
import {
  ARM64_ALIAS,
  ARM64_HOST,
  arm64Rootfs,
  describeArm64Lab,
  elfMachine,
  localArm64AgentSha256,
  tracesOnArm64Host,
} from "./support/arm64";
import { joinDeviceRoom, oneToolCall, revokeDevice } from "./support/device-room";
import { sshAs } from "./support/hosts";
import { writeSafetyConfig } from "./support/safety-config";
import { LabSession } from "./support/session";
import { hubFileDevices } from "./support/wg-state";

const MARKER = "arm64-marker-7c2d.txt";
/** Everything on pi is emulated (sshd, sh, sha256sum, wg-quick, wireguard-go, the agent). */
const ADD_WAIT = 300_000;

/**
 * linux/arm64 end to end: `!add-pc pi --via wg` against the lab's arm64 host (Debian 12
 * arm64 userland under qemu-aarch64, lab/arm64/) detects aarch64, installs and starts the
 * linux-arm64 agent, the device goes live over the mesh, its agent answers tool calls run
 * on pi, and `!revoke pi` leaves nothing behind.
 */
describeArm64Lab("linux/arm64 end to end: the emulated arm64 host pi", (lab) => {
  let standIn: AnthropicStandIn;
  let session: LabSession;
  let stateDir: string;
  const admin = (): string => lab().hosts[ARM64_HOST]!.adminUser!;
  const device = (name: string) => {
    const db = openDatabase(join(stateDir, "meshpilot.db"), BOT_MIGRATIONS);
    try {
      return new DeviceStore(db).get(name);
    } finally {
      db.close();
    }
  };

  beforeAll(async () => {
    // A clean pi: an earlier run may have left its tunnel and agent (its bot state is wiped below).
    sshAs(
      lab(),
      ARM64_HOST,
      admin(),
      `sudo -n wg-quick down mesh0 2>/dev/null; sudo -n rm -f /etc/wireguard/mesh0.conf; pkill -u "$(id -u)" -f '/[m]eshpilot/(supervise|device-agent)'; rm -rf ~/.local/share/meshpilot ~/.config/meshpilot ~/.local/state/meshpilot; echo 'put here by the test' > ~/${MARKER}`,
    );
    standIn = await AnthropicStandIn.start({ apiKey: STANDIN_KEY });
    const configFile = writeSafetyConfig(lab(), "arm64", standIn.url);
    stateDir = loadConfig(configFile).config.state_dir;
    session = new LabSession(lab(), "arm64", {}, { configFile });
    await session.start();
  }, 120_000);

  afterAll(async () => {
    await session?.stop();
    await standIn?.stop();
  });

  test("the host is arm64: uname -m over SSH says aarch64", () => {
    expect(sshAs(lab(), ARM64_HOST, admin(), "uname -m").trim()).toBe("aarch64");
    expect(sshAs(lab(), ARM64_HOST, admin(), "sudo -n true && echo sudo-ok").trim()).toBe("sudo-ok");
  });

  test("!add-pc pi --via wg: detects arm64, installs the linux-arm64 agent, goes live; a tool call runs on pi; !revoke cleans up", async () => {
    const facts = lab();
    // Not session.command: its 60 s wait is for native hosts; every step here is emulated.
    const sent = await session.operator.sendText(
      session.alertsRoom,
      `!add-pc ${ARM64_HOST} --via wg --ssh ${ARM64_ALIAS}`,
    );
    const reacted = await session.operator.waitFor(
      reactionTo(sent, facts.botUserId),
      ADD_WAIT,
      "the bot's reaction to !add-pc pi",
    );
    const reaction = (reacted.content["m.relates_to"] as { key: string }).key;
    const progress = session.noticeAfter(sent) ?? "(no progress notice)";
    if (reaction !== "✅") throw new Error(`!add-pc ${ARM64_HOST} --via wg failed:\n${progress}`);

    // The reply says what the target is and which build went there.
    expect(progress).toMatch(/\[2\/9\] connecting over SSH… ✓ \(Debian GNU\/Linux 12 \(bookworm\), arm64\)/);
    expect(progress).toMatch(/\[6\/9\] installing the device agent… ✓ \(linux-arm64, /);
    for (let i = 1; i <= 9; i++) expect(progress).toMatch(new RegExp(`\\[${i}/9\\] .*… ✓`));
    expect(session.mentionAfter(sent)?.content.body).toBe(
      `operator: ✓ agent-${ARM64_HOST} live — say hi in #device-${ARM64_HOST}:${facts.serverName}`,
    );

    // On pi: the arm64 executable, byte for byte the local build, running.
    const binary = join(arm64Rootfs(facts), "home", admin(), ".local/share/meshpilot/device-agent");
    expect(elfMachine(binary)).toBe("aarch64");
    expect(sshAs(facts, ARM64_HOST, admin(), "sha256sum ~/.local/share/meshpilot/device-agent")).toMatch(
      new RegExp(`^${localArm64AgentSha256(facts)} `),
    );

    // Live, and answering signed requests over the mesh.
    const pi = device(ARM64_HOST)!;
    expect(pi).toMatchObject({ backend: "wg", status: "live" });
    expect(hubFileDevices(facts)).toContain(ARM64_HOST);
    const health = await agentRequest(
      `http://${pi.mesh_ip}:7700`,
      readAgentSecret(stateDir, ARM64_HOST),
      "GET",
      "/health",
    );
    expect(health.status).toBe(200);

    // The agent answers tool calls driven through the model stand-in, run on pi itself.
    const room = await joinDeviceRoom(session, facts, ARM64_HOST);
    const uname = await oneToolCall(session, standIn, room, "shell_exec", { argv: ["uname", "-m"] });
    expect(uname.result).toEqual({ content: expect.stringContaining("aarch64") as string, isError: false });
    expect(uname.answer).toContain("aarch64");
    const listed = await oneToolCall(session, standIn, room, "fs_list", { path: `/home/${admin()}` });
    expect(listed.result.isError).toBe(false);
    expect(listed.result.content).toContain(MARKER);

    // !revoke pi: the hub peer, the tunnel, the agent and its files are gone.
    expect(await revokeDevice(session, facts, ARM64_HOST)).toMatch(new RegExp(`✓ ${ARM64_HOST} revoked`));
    expect(hubFileDevices(facts)).not.toContain(ARM64_HOST);
    expect(tracesOnArm64Host(facts, admin())).toEqual([]);
  }, 600_000);
});
