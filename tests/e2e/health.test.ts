import { execFileSync } from "node:child_process";
import { describeLab } from "./support/lab";
import { LabSession, WAIT } from "./support/session";
import { alertMatching, deviceIp, healthOf, waitUntil, writeHealthConfig } from "./support/health";
import { hubFileDevices, hubPeers, tracesOnPc } from "./support/wg-state";
import { sshAs } from "./support/hosts";
import { loadConfig } from "../../config/load";
import { join } from "node:path";
import { AuditMirror } from "../../capabilities/wg/audit-mirror";
import { trackedCalls } from "../../capabilities/wg/devices";
import { agentRequest } from "../../capabilities/wg/agent-http";
import { openDatabase } from "../../state/db";
import { DeviceAuditStore } from "../../state/device-audit";
import { BOT_MIGRATIONS } from "../../state/migrations";
import { LabMatrixClient, type MatrixEvent } from "../../lab/matrix-client";
import { readAgentSecret } from "../../state/agent-secret";

const CODE_TTL_S = 10;
const STALE_BOUND = 240_000;

/** The health monitor and !revoke on pc1, from the operators' clients, with shortened timers. */
describeLab("health monitor and !revoke", (lab) => {
  let session: LabSession;
  let stateDir: string;
  const db = (): string => `${lab().labDir}/hosts/pc1/home/lucas/.local/state/meshpilot/audit.db`;
  const sql = (statement: string): string =>
    execFileSync("sqlite3", [db(), statement], { encoding: "utf8" }).trim();
  const alert = async (anchor: string, pattern: RegExp, timeout = 60_000) =>
    (
      await session.operator.waitForAfter(
        anchor,
        alertMatching(lab(), session.alertsRoom, pattern),
        timeout,
        String(pattern),
      )
    ).content.body as string;
  const codeAfter = async (sent: string): Promise<string> => {
    const prompt = await session.operator.waitForAfter(
      sent,
      alertMatching(lab(), session.alertsRoom, /--confirm [A-Z0-9]{4}/),
      WAIT,
      "the revoke code",
    );
    return /--confirm ([A-Z0-9]{4})/.exec(prompt.content.body as string)![1]!;
  };
  const mark = (): Promise<string> => session.operator.sendText(session.alertsRoom, "(test marker)");
  const incidentId = (body: string): string => /incident #(\d+)/.exec(body)![1]!;
  /** What reached the phones about pc1 since the anchor: new m.text from the bot, not edits. */
  const pushesAfter = (anchor: string): string[] =>
    session.operator.events
      .filter(
        (e) =>
          alertMatching(lab(), session.alertsRoom, /device_id=pc1 /)(e) &&
          session.operator.isAfter(e, anchor) &&
          (e.content["m.relates_to"] as { rel_type?: string } | undefined)?.rel_type !== "m.replace",
      )
      .map((e) => (e.content.body as string).split("\n")[0]!);

  beforeAll(async () => {
    sshAs(
      lab(),
      "pc1",
      "lucas",
      `sudo -n wg-quick down mesh0 2>/dev/null; sudo -n rm -f /etc/wireguard/mesh0.conf; pkill -u "$(id -u)" -f '/[m]eshpilot/(supervise|device-agent)'; rm -rf ~/.local/share/meshpilot ~/.config/meshpilot ~/.local/state/meshpilot; true`,
    );
    const configFile = writeHealthConfig(lab(), CODE_TTL_S);
    stateDir = loadConfig(configFile).config.state_dir;
    session = new LabSession(lab(), "health", {}, { configFile });
    await session.start();
    const { reaction } = await session.command("!add-pc pc1 --via wg --ssh lucas@192.0.2.11");
    expect(reaction).toBe("✅");
    await waitUntil("pc1 online", () => healthOf(stateDir, "pc1")?.status === "online", WAIT);
  }, 300_000);

  afterAll(() => session?.stop());

  test("a quiet period with a healthy device: zero alerts; !health shows it 🟢", async () => {
    const anchor = await mark();
    const first = healthOf(stateDir, "pc1")!.checked_at;
    // Five more sweeps.
    await waitUntil("five sweeps", () => healthOf(stateDir, "pc1")!.checked_at > first + 9_000, WAIT);
    const alerts = session.operator.events.filter(
      (e) =>
        alertMatching(lab(), session.alertsRoom, /\[(ALERT|RESOLVED|FLAPPING|REMINDER)\]/)(e) &&
        session.operator.isAfter(e, anchor),
    );
    expect(alerts).toEqual([]);
    const { sent, reaction } = await session.command("!health");
    expect(reaction).toBe("✅");
    const grid = session.noticeAfter(sent)!;
    expect(grid).toMatch(/🟢 pc1 wg 10\.42\.0\.\d+/);
    expect(grid).toMatch(/online \d+ s, hs \d+ s ago/);
    expect(grid).toMatch(/^open incidents: none$/m);
    for (const line of grid.split("\n")) expect([...line].length).toBeLessThanOrEqual(40);
  }, 120_000);

  test("the agent stopped → unreachable; repaired → resolved: one incident, two pushes", async () => {
    const anchor = await mark();
    sshAs(
      lab(),
      "pc1",
      "lucas",
      `kill -- -"$(cat ~/.local/state/meshpilot/agent.pid)"; pkill -f '/[m]eshpilot/(supervise|device-agent)'; true`,
    );
    const id = incidentId(
      await alert(anchor, /\[ALERT\] device_id=pc1 status=unreachable \(\/health: .*\) incident #\d+/),
    );
    const again = await session.command("!add-pc pc1 --via wg --ssh lucas@192.0.2.11");
    expect(again.reaction).toBe("✅");
    await alert(anchor, new RegExp(`\\[RESOLVED\\] device_id=pc1 incident #${id} online again \\(was down `));
    expect(pushesAfter(anchor)).toEqual([
      expect.stringMatching(new RegExp(`\\[ALERT\\] device_id=pc1 status=\\w+ \\(.*\\) incident #${id}$`)),
      expect.stringMatching(
        new RegExp(`\\[RESOLVED\\] device_id=pc1 incident #${id} online again \\(was down `),
      ),
    ]);
  }, 180_000);

  test("the tunnel down → stale within the bound; back up → resolved: one incident, two pushes", async () => {
    const anchor = await mark();
    const downAt = Date.now();
    sshAs(lab(), "pc1", "lucas", "sudo -n wg-quick down mesh0");
    // The incident may open unreachable (the probe fails first) and turn stale in place: an edit, no push.
    const id = incidentId(
      await alert(
        anchor,
        /\[ALERT\] device_id=pc1 status=(stale|unreachable) \(.*\) incident #\d+/,
        STALE_BOUND,
      ),
    );
    expect(
      await alert(
        anchor,
        new RegExp(`\\[ALERT\\] device_id=pc1 status=stale \\(handshake .*\\) incident #${id}`),
        STALE_BOUND,
      ),
    ).toBeTruthy();
    // eslint-disable-next-line no-console
    console.log(`tunnel down → stale alert in ${((Date.now() - downAt) / 1000).toFixed(1)} s`);
    sshAs(
      lab(),
      "pc1",
      "lucas",
      "sudo -n env WG_QUICK_USERSPACE_IMPLEMENTATION=wireguard-go WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD=1 wg-quick up mesh0",
    );
    await alert(anchor, new RegExp(`\\[RESOLVED\\] device_id=pc1 incident #${id} online again \\(was down `));
    expect(pushesAfter(anchor)).toEqual([
      expect.stringMatching(new RegExp(`\\[ALERT\\] device_id=pc1 status=\\w+ \\(.*\\) incident #${id}$`)),
      expect.stringMatching(
        new RegExp(`\\[RESOLVED\\] device_id=pc1 incident #${id} online again \\(was down `),
      ),
    ]);
  }, 360_000);

  test("a tampered audit database (edited, deleted, cut short) → corrupted naming the first broken id", async () => {
    const ip = deviceIp(stateDir, "pc1")!;
    const secret = readAgentSecret(stateDir, "pc1");
    // Sent as the bot sends them (recorded in its state, with a call_ref), so its copy of the
    // device's audit matches them; a call the bot never sent would itself read as tampering.
    const botDb = openDatabase(join(stateDir, "meshpilot.db"), BOT_MIGRATIONS);
    const mirror = new AuditMirror({ store: new DeviceAuditStore(botDb) });
    const send = trackedCalls(mirror, "pc1", (method, path, payload, timeoutMs) =>
      agentRequest(`http://${ip}:7700`, secret, method, path, payload, timeoutMs),
    );
    for (let i = 0; i < 4; i++) {
      const reply = await send(
        "POST",
        "/call",
        {
          capability: "fs.list",
          args: { path: "/home/lucas" },
          caller: "e2e",
        },
        30_000,
      );
      expect(reply.status).toBe(200);
    }
    botDb.close();
    await waitUntil("the head accepted", () => (healthOf(stateDir, "pc1")!.audit_count ?? 0) >= 8, WAIT);
    const rows = sql("SELECT count(*) FROM audit");
    expect(Number(rows)).toBeGreaterThanOrEqual(8);

    const cases: Array<[string, string, string, RegExp]> = [
      ["edit", 'UPDATE audit SET args = \'{"path":"/etc"}\' WHERE id = 3', "", /id=3 broken/],
      ["delete", "DELETE FROM audit WHERE id = 4", "", /id=4 broken/],
      ["cut", "DELETE FROM audit WHERE id > 6", "", /id=7 broken/],
    ];
    for (const [what, tamper, , expected] of cases) {
      const saved = execFileSync("sqlite3", ["-cmd", ".mode insert audit", db(), "SELECT * FROM audit"], {
        encoding: "utf8",
      });
      const anchor = await mark();
      sql(tamper);
      const body = await alert(anchor, /status=hash_chain_corrupted \(.*\) incident #\d+/);
      expect([what, body]).toEqual([what, expect.stringMatching(expected)]);
      // Put the rows back as they were: the chain verifies again and the device recovers.
      sql(`DELETE FROM audit;\n${saved}`);
      expect(
        await alert(
          anchor,
          new RegExp(`\\[RESOLVED\\] device_id=pc1 incident #${incidentId(body)} online again`),
        ),
      ).toBeTruthy();
    }
  }, 300_000);

  test("reactions on an alert act: 🔕 silences pc1 and says until when; 🔁 repairs it; the pushed incident still resolves", async () => {
    const anchor = await mark();
    sshAs(
      lab(),
      "pc1",
      "lucas",
      `kill -- -"$(cat ~/.local/state/meshpilot/agent.pid)"; pkill -f '/[m]eshpilot/(supervise|device-agent)'; true`,
    );
    const pushed = await session.operator.waitForAfter(
      anchor,
      alertMatching(lab(), session.alertsRoom, /\[ALERT\] device_id=pc1 status=unreachable .*incident #\d+/),
      60_000,
      "the alert",
    );
    const id = incidentId(pushed.content.body as string);
    const fromBot = (pattern: RegExp) => (e: MatrixEvent) =>
      e.room_id === session.alertsRoom &&
      e.sender === lab().botUserId &&
      pattern.test(String(e.content.body));
    await session.operator.react(session.alertsRoom, pushed.event_id, "🔕");
    const silenced = await session.operator.waitForAfter(
      pushed.event_id,
      fromBot(/^🔕 pc1 silenced until \d{4}-\d\d-\d\d \d\d:\d\d UTC/),
      WAIT,
      "the silence notice",
    );
    expect(silenced.content.body).toMatch(/by @operator:meshpilot\.test/);
    await session.operator.react(session.alertsRoom, pushed.event_id, "🔁");
    await session.operator.waitForAfter(
      pushed.event_id,
      fromBot(/^🔁 repairing pc1/),
      WAIT,
      "the repair notice",
    );
    await alert(
      anchor,
      new RegExp(`\\[RESOLVED\\] device_id=pc1 incident #${id} online again \\(was down `),
      180_000,
    );
    expect(healthOf(stateDir, "pc1")?.status).toBe("online");
  }, 300_000);

  test("revoke: wrong code, another operator, an expired code → refused; the right code → gone from hub and pc1, room closed", async () => {
    const room = await session.operator.resolveAlias("#device-pc1:meshpilot.test");
    await session.operator.join(room); // to read the room's topic once it is closed
    const ask = await session.command("!revoke pc1");
    expect(ask.reaction).toBe("✅");
    const code = await codeAfter(ask.sent);

    const wrong = await session.command(`!revoke pc1 --confirm ${code === "AAAA" ? "BBBB" : "AAAA"}`);
    expect(wrong.reaction).toBe("❌");
    expect(session.noticeAfter(wrong.sent)).toMatch(/not the code/);

    const other = await LabMatrixClient.login(
      lab().homeserverUrl,
      lab().stranger.user,
      lab().stranger.password,
    );
    await other.join(session.alertsRoom);
    const otherSent = await other.sendText(session.alertsRoom, `!revoke pc1 --confirm ${code}`);
    await session.operator.waitFor(
      (e) =>
        e.type === "m.reaction" &&
        (e.content["m.relates_to"] as { event_id?: string }).event_id === otherSent,
      WAIT,
      "the reaction to the other operator's confirm",
    );
    expect(hubFileDevices(lab())).toContain("pc1");

    const late = await session.command("!revoke pc1");
    const lateCode = await codeAfter(late.sent);
    const issued = Date.now();
    await waitUntil("the code's expiry", () => Date.now() > issued + CODE_TTL_S * 1000 + 500, 30_000);
    const expired = await session.command(`!revoke pc1 --confirm ${lateCode}`);
    expect(expired.reaction).toBe("❌");
    expect(session.noticeAfter(expired.sent)).toMatch(/expired/);
    expect(hubFileDevices(lab())).toContain("pc1");

    const peersBefore = hubPeers(lab()).length;
    const fresh = await session.command("!revoke pc1");
    const freshCode = await codeAfter(fresh.sent);
    const done = await session.command(`!revoke pc1 --confirm ${freshCode}`);
    expect(done.reaction).toBe("✅");
    expect(
      (
        await session.operator.waitForAfter(
          done.sent,
          alertMatching(lab(), session.alertsRoom, /pc1 revoked/),
          WAIT,
          "the revoke outcome",
        )
      ).content.body,
    ).toMatch(
      /✓ pc1 revoked: hub peer removed, agent stopped, agent files removed, tunnel removed, 10\.42\.0\.\d+ freed, room closed/,
    );
    // Taking it apart raised no alert of its own.
    expect(
      session.operator.events.filter(
        (e) =>
          alertMatching(lab(), session.alertsRoom, /\[ALERT\] device_id=pc1/)(e) &&
          session.operator.isAfter(e, done.sent),
      ),
    ).toEqual([]);
    expect(hubPeers(lab()).length).toBe(peersBefore - 1);
    expect(hubFileDevices(lab())).not.toContain("pc1");
    expect(tracesOnPc(lab(), "pc1", "lucas")).toEqual([]);
    const topic = await session.operator.request<{ topic: string }>(
      "GET",
      `/_matrix/client/v3/rooms/${encodeURIComponent(room)}/state/m.room.topic`,
    );
    expect(topic.topic).toMatch(/^\[closed\] pc1 revoked/);

    const twice = await session.command("!revoke pc1");
    expect(session.noticeAfter(twice.sent)).toBe("pc1 is already revoked — nothing to do.");
    const grid = await session.command("!health");
    expect(session.noticeAfter(grid.sent)).toMatch(/⚫ pc1/);
  }, 240_000);
});
