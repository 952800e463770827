import { execFileSync } from "node:child_process";
import { describeLab } from "./support/lab";
import { LabSession, WAIT } from "./support/session";
import { hubFileDevices, hubHandshakes, hubPeers, pcFiles } from "./support/wg-state";
import { sshAs } from "./support/hosts";
import { loadConfig } from "../../config/load";
import { agentRequest } from "../../capabilities/wg/agent-http";
import { readAgentSecret } from "../../state/agent-secret";
import { openDatabase } from "../../state/db";
import { BOT_MIGRATIONS } from "../../state/migrations";
import { DeviceStore } from "../../state/devices";

/** The happy path, idempotency and repair of `!add-pc --via wg`, on pc1, from the operator's client. */
describeLab("!add-pc --via wg", (lab) => {
  let session: LabSession;
  const stateDir = (): string => loadConfig(lab().botConfig).config.state_dir;
  const device = (name: string) =>
    new DeviceStore(openDatabase(`${stateDir()}/meshpilot.db`, BOT_MIGRATIONS)).get(name);
  const admin = (): string => lab().hosts.pc1!.adminUser!;

  beforeAll(async () => {
    // A clean pc1: an earlier run may have left its tunnel and agent (its bot state was wiped since).
    sshAs(
      lab(),
      "pc1",
      admin(),
      `sudo -n wg-quick down mesh0 2>/dev/null; sudo -n rm -f /etc/wireguard/mesh0.conf; pkill -u "$(id -u)" -f '/[m]eshpilot/(supervise|device-agent)'; rm -rf ~/.local/share/meshpilot ~/.config/meshpilot ~/.local/state/meshpilot; true`,
    );
    session = new LabSession(lab(), "wg-add");
    await session.start();
  }, 120_000);

  afterAll(() => session?.stop());

  test("one command: the peer at the hub with a recent handshake, the agent answering over the mesh, the room with its hello", async () => {
    const { sent, reaction } = await session.command("!add-pc pc1 --via wg --ssh lucas@192.0.2.11");
    expect(reaction).toBe("✅");
    expect(session.mentionAfter(sent)?.content.body).toBe(
      "operator: ✓ agent-pc1 live — say hi in #device-pc1:meshpilot.test",
    );
    const progress = session.noticeAfter(sent)!;
    for (let i = 1; i <= 9; i++) expect(progress).toMatch(new RegExp(`\\[${i}/9\\] .*… ✓`));

    const pc1 = device("pc1")!;
    expect(pc1).toMatchObject({ backend: "wg", status: "live" });
    expect(pc1.mesh_ip).toMatch(/^10\.42\.0\.\d+$/);
    const handshake = [...hubHandshakes(lab()).values()].filter((t) => t > 0);
    expect(Math.max(...handshake)).toBeGreaterThan(Date.now() / 1000 - 180);
    expect(hubFileDevices(lab())).toContain("pc1");

    const health = await agentRequest(
      `http://${pc1.mesh_ip}:7700`,
      readAgentSecret(stateDir(), "pc1"),
      "GET",
      "/health",
    );
    expect(health.status).toBe(200);
    expect(typeof (health.body as { capabilities?: unknown }).capabilities).toBe("number");
    const unsigned = await fetch(`http://${pc1.mesh_ip}:7700/health`);
    expect(unsigned.status).toBe(401);

    const room = await session.operator.resolveAlias("#device-pc1:meshpilot.test");
    await session.operator.waitForInvite((id) => id === room, WAIT);
    await session.operator.join(room);
    const messages = await session.operator.request<{
      chunk: Array<{ sender: string; content: { body?: string } }>;
    }>("GET", `/_matrix/client/v3/rooms/${encodeURIComponent(room)}/messages?dir=b&limit=20`);
    expect(
      messages.chunk.some(
        (e) => e.sender === "@agent-pc1:meshpilot.test" && e.content.body?.startsWith("Hello! I'm agent-pc1"),
      ),
    ).toBe(true);
  }, 180_000);

  test("the same command again changes nothing: same peers, same files on pc1, same room", async () => {
    const peers = hubPeers(lab());
    const files = pcFiles(lab(), "pc1");
    const room = await session.operator.resolveAlias("#device-pc1:meshpilot.test");
    const { sent, reaction } = await session.command("!add-pc pc1 --via wg --ssh lucas@192.0.2.11");
    expect(reaction).toBe("✅");
    expect(session.noticeAfter(sent)).toBe(
      "pc1 is already live — nothing changed. Its agent is in #device-pc1:meshpilot.test.",
    );
    expect(hubPeers(lab()).sort()).toEqual([...peers].sort());
    expect(pcFiles(lab(), "pc1")).toEqual(files);
    expect(await session.operator.resolveAlias("#device-pc1:meshpilot.test")).toBe(room);
  }, 120_000);

  test("the agent stopped on pc1: the command again repairs it and says what it repaired", async () => {
    sshAs(lab(), "pc1", admin(), 'kill -- -"$(cat ~/.local/state/meshpilot/agent.pid)"');
    const { sent, reaction } = await session.command("!add-pc pc1 --via wg --ssh lucas@192.0.2.11");
    expect(reaction).toBe("✅");
    expect(String(session.mentionAfter(sent)?.content.body)).toMatch(
      /pc1 was live but broken; repaired:\nstarting the agent: the agent does not answer \/health → handshake/,
    );
    const pc1 = device("pc1")!;
    expect(
      (await agentRequest(`http://${pc1.mesh_ip}:7700`, readAgentSecret(stateDir(), "pc1"), "GET", "/health"))
        .status,
    ).toBe(200);
  }, 120_000);

  test("the tunnel taken down on pc1: repaired too", async () => {
    sshAs(lab(), "pc1", admin(), "sudo -n wg-quick down mesh0");
    const { sent, reaction } = await session.command("!add-pc pc1 --via wg --ssh lucas@192.0.2.11");
    expect(reaction).toBe("✅");
    expect(String(session.mentionAfter(sent)?.content.body)).toContain(
      "the tunnel is down or its config is missing → tunnel brought up",
    );
    expect(execFileSync("ip", ["-n", "pc1", "link", "show", "mesh0"], { encoding: "utf8" })).toContain(
      "mesh0",
    );
  }, 120_000);

  test("a name held by an SSH-only device is refused for --via wg, and nothing changes", async () => {
    expect((await session.command("!add-pc web2 --via ssh --ssh pc2-viewer")).reaction).toBe("✅");
    const peers = hubPeers(lab());
    const { sent, reaction } = await session.command("!add-pc web2 --via wg --ssh lucas@192.0.2.12");
    expect(reaction).toBe("❌");
    expect(session.noticeAfter(sent)).toBe(
      "web2 is already an SSH-only device — !revoke web2 first, or pick another name",
    );
    expect(hubPeers(lab()).sort()).toEqual([...peers].sort());
  }, 120_000);

  test.each([
    [
      "!add-pc pc9 --via wg --ssh lucas@192.0.2.12 --arch riscv64",
      /^--arch must be one of amd64, arm64 \(not "riscv64"\)$/,
    ],
    [
      "!add-pc pc9 --via wg --ssh lucas@192.0.2.12 --os plan9",
      /^--os must be one of linux, windows, darwin \(not "plan9"\)$/,
    ],
    ["!add-pc Foo_Bar --via wg --ssh lucas@192.0.2.12", /is not a valid device name/],
  ])("%s is refused up front with one sentence", async (text, expected) => {
    const { sent, reaction } = await session.command(text);
    expect(reaction).toBe("❌");
    expect(session.noticeAfter(sent)).toMatch(expected);
  });

  test("a non-operator's !add-pc is ignored", async () => {
    const facts = lab();
    await session.operator
      .request("POST", `/_matrix/client/v3/rooms/${encodeURIComponent(session.alertsRoom)}/invite`, {
        user_id: facts.stranger.userId,
      })
      .catch(() => undefined);
    const { LabMatrixClient } = await import("../../lab/matrix-client");
    const stranger = await LabMatrixClient.login(
      facts.homeserverUrl,
      facts.stranger.user,
      facts.stranger.password,
    );
    await stranger.join(session.alertsRoom);
    const ignored = await stranger.sendText(
      session.alertsRoom,
      "!add-pc evil --via wg --ssh lucas@192.0.2.12",
    );
    const { sent } = await session.command("!help");
    expect(
      session.operator.events.some(
        (e) =>
          e.sender === facts.botUserId &&
          session.operator.isAfter(e, ignored) &&
          !session.operator.isAfter(e, sent) &&
          e.type !== "m.receipt",
      ),
    ).toBe(false);
    expect(device("evil")).toBeUndefined();
  });
});
