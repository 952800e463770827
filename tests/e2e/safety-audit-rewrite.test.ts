import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { loadConfig } from "../../config/load";
import { agentRequest } from "../../capabilities/wg/agent-http";
import { AnthropicStandIn, callTool, lastToolResults, say } from "../../lab/anthropic-standin";
import { readAgentSecret } from "../../state/agent-secret";
import { agentSays, STANDIN_KEY } from "./support/agents";
import { readAudit, rewriteAndRechain } from "./support/audit-tamper";
import { revokeDevice } from "./support/device-room";
import { alertMatching, deviceIp, waitUntil } from "./support/health";
import { sshAs } from "./support/hosts";
import { describeLab } from "./support/lab";
import { writeSafetyConfig } from "./support/safety-config";
import { LabSession, WAIT } from "./support/session";

/**
 * A hostile device rewrites its history after the bot's head: calls are made through the
 * bot (it records each call before sending it and copies the chain after each reply); one
 * call is left unanswered while the bot stops, so its entries are after the bot's head.
 * On pc1 that entry is edited and every later hash re-chained, so the device's own
 * /audit/verify still says ok. The bot's record of the calls it sent must still call the
 * device corrupted. The health sweep runs at start-up only (interval 3600 s), so what the
 * bot holds is decided by the test, not by timing.
 */
describeLab("safety: a device rewriting its audit history after the bot's head", (lab) => {
  let standIn: AnthropicStandIn;
  let session: LabSession;
  let stateDir: string;
  let room: string;
  const agent = "@agent-pc1:meshpilot.test";
  const HELD_COUNT = "SELECT count(*) FROM device_audit WHERE device = 'pc1'";
  const deviceDb = (): string => `${lab().labDir}/hosts/pc1/home/lucas/.local/state/meshpilot/audit.db`;
  const botSql = (statement: string): string =>
    execFileSync("sqlite3", [join(stateDir, "meshpilot.db"), statement], { encoding: "utf8" }).trim();

  /** One fs.list call made through the bot: the stand-in asks for it, the agent answers. */
  const listThroughTheBot = async (path: string): Promise<void> => {
    standIn.script(callTool("fs_list", { path }), (request) =>
      say(`Listed: ${lastToolResults(request)[0]!.content}`),
    );
    const sent = await session.operator.sendText(room, `list ${path}`);
    await agentSays(session.operator, room, agent, sent, (b) => b.startsWith("Listed:"), WAIT, "the listing");
  };

  beforeAll(async () => {
    sshAs(
      lab(),
      "pc1",
      "lucas",
      `sudo -n wg-quick down mesh0 2>/dev/null; sudo -n rm -f /etc/wireguard/mesh0.conf; pkill -u "$(id -u)" -f '/[m]eshpilot/(supervise|device-agent)'; rm -rf ~/.local/share/meshpilot ~/.config/meshpilot ~/.local/state/meshpilot; true`,
    );
    standIn = await AnthropicStandIn.start({ apiKey: STANDIN_KEY });
    const configFile = writeSafetyConfig(lab(), "safety-audit", standIn.url, {
      health: { interval_s: 3600, stale_after_s: 7200, probe_timeout_s: 3, probe_retries: 1 },
      revoke: { code_ttl_s: 60 },
    });
    stateDir = loadConfig(configFile).config.state_dir;
    session = new LabSession(lab(), "safety-audit", {}, { configFile });
    await session.start();
    const { reaction } = await session.command("!add-pc pc1 --via wg --ssh lucas@192.0.2.11");
    if (reaction !== "✅") throw new Error("could not add pc1 over WireGuard");
    room = await session.operator.resolveAlias("#device-pc1:meshpilot.test");
    await session.operator.waitForInvite((id) => id === room, WAIT);
    await session.operator.join(room);
  }, 300_000);

  afterAll(async () => {
    await session?.stop();
    await standIn?.stop();
  });

  test("an entry after the head edited and the chain re-hashed: /audit/verify says ok, the bot says corrupted", async () => {
    // A call the bot copies: the sync after it finds nothing wrong.
    await listThroughTheBot("/home/lucas");
    await waitUntil("the bot's copy", () => Number(botSql(HELD_COUNT)) >= 2, WAIT);

    // A call the bot sends but never copies: cat blocks on a FIFO (its call entry is
    // written before it runs), and the bot stops before the reply and its sync.
    const fifo = join(lab().labDir, "hosts/pc1/home/lucas/audit-fifo");
    rmSync(fifo, { force: true });
    execFileSync("mkfifo", [fifo]);
    execFileSync("chown", ["lucas:lucas", fifo]);
    const before = readAudit(deviceDb()).length;
    standIn.script(callTool("shell_exec", { argv: ["cat", "/home/lucas/audit-fifo"] }), say("done"));
    await session.operator.sendText(room, "read the fifo");
    const target = await waitUntil(
      "the device's call entry for cat",
      () =>
        readAudit(deviceDb()).find(
          (e) => e.id > before && e.kind === "call" && e.capability === "shell.exec",
        ),
      WAIT,
    );
    await session.bot.stop();
    await writeFile(fifo, "released\n");
    await waitUntil(
      "the device's result entry",
      () => readAudit(deviceDb()).some((e) => e.call_id === target.id && e.kind === "result"),
      WAIT,
    );
    const head = Number(botSql("SELECT coalesce(max(id), 0) FROM device_audit WHERE device = 'pc1'"));
    const sent = botSql("SELECT count(*) FROM device_calls_sent WHERE device = 'pc1'");
    process.stdout.write(
      `audit rewrite: bot head ${head}, ${sent} sent calls recorded, rewriting entry ${target.id}\n`,
    );
    expect(target.id).toBeGreaterThan(head);

    // The device lies about what it was asked: cat /etc/shadow instead; every later hash redone.
    const rewritten = rewriteAndRechain(deviceDb(), target.id, (e) => ({
      args: e.args.replace("/home/lucas/audit-fifo", "/etc/shadow"),
    }));
    expect(rewritten[0]!.args).toContain("/etc/shadow");
    const secret = readAgentSecret(stateDir, "pc1");
    const verify = await agentRequest(
      `http://${deviceIp(stateDir, "pc1")!}:7700`,
      secret,
      "GET",
      "/audit/verify",
    );
    expect([verify.status, verify.body]).toEqual([200, expect.objectContaining({ ok: true })]);

    const anchor = await session.operator.sendText(session.alertsRoom, "(test marker)");
    await session.bot.start();
    const alert = await session.operator.waitForAfter(
      anchor,
      alertMatching(lab(), session.alertsRoom, /device_id=pc1 status=hash_chain_corrupted/),
      WAIT,
      "the corrupted alert",
    );
    process.stdout.write(`audit rewrite: ${String(alert.content.body)}\n`);
    expect(alert.content.body).toMatch(new RegExp(`id=${target.id} broken`));
    const asked = await session.command("!health pc1");
    const detail = session.noticeAfter(asked.sent)!;
    process.stdout.write(`audit rewrite: !health pc1 →\n${detail}\n`);
    expect(detail).toMatch(/status: corrupted/);
    expect(detail).toMatch(new RegExp(`${target.id}`));

    // Leave the lab as it was: the device taken apart, the FIFO gone.
    expect(await revokeDevice(session, lab(), "pc1")).toMatch(/pc1 revoked/);
    rmSync(fifo, { force: true });
  }, 300_000);
});
