import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import type { LabFacts } from "../../lab/facts";
import { reactionTo } from "../../lab/matrix-client";
import { agentHealthCheck } from "../../capabilities/wg/agent-http";
import { loadConfig } from "../../config/load";
import { readAgentSecret } from "../../state/agent-secret";
import { openDatabase } from "../../state/db";
import { DeviceStore } from "../../state/devices";
import { BOT_MIGRATIONS } from "../../state/migrations";
import { describeLab } from "./support/lab";
import { cleanPc4, onPc4 } from "./support/pc4";
import { confirmationCode } from "./support/device-room";
import { LabSession, WAIT } from "./support/session";
import { hubFileDevices, hubPeers, tracesOnPc } from "./support/wg-state";

const PC = "pc4";

/** The lab's config plus enroll: (and what a test changes), written for this test. */
function pullConfig(
  facts: LabFacts,
  name: string,
  change: (c: Record<string, unknown>) => void = () => undefined,
): string {
  const config = parse(readFileSync(facts.botConfig, "utf8")) as Record<string, unknown>;
  config.enroll = { bind_address: facts.hosts.hub!.ip, port: 8448, public_url: facts.hosts[PC]!.enrollUrl };
  change(config);
  const path = join(facts.labDir, `meshpilot-${name}.yaml`);
  writeFileSync(path, stringify(config));
  return path;
}

/** The one-time command in the bot's m.text after `sent`. */
async function linkCommand(session: LabSession, sent: string): Promise<string> {
  const message = await session.operator.waitFor(
    (e) =>
      e.type === "m.room.message" &&
      e.sender === session.facts.botUserId &&
      e.content.msgtype === "m.text" &&
      session.operator.isAfter(e, sent) &&
      String(e.content.body).includes("/e/"),
    WAIT,
    "the one-time command",
  );
  const command = /curl -fsSL \S+ \| sudo sh/.exec(String(message.content.body))?.[0];
  expect(command).toBeDefined();
  return command!;
}

function deviceRow(facts: LabFacts, configFile: string, name: string) {
  const db = openDatabase(join(loadConfig(configFile).config.state_dir, "meshpilot.db"), BOT_MIGRATIONS);
  try {
    return new DeviceStore(db).get(name);
  } finally {
    db.close();
  }
}

describeLab("!add-pc --via pull: a PC behind NAT enrolls itself with a one-time link", (lab) => {
  beforeAll(() => cleanPc4(lab()));
  afterAll(() => cleanPc4(lab()));

  test("the link: a GET does not use it, the PC's run does; live, its agent answers over the mesh; a second use is refused; a new link re-enrolls it in place; revoke says what to run on the PC", async () => {
    const configFile = pullConfig(lab(), "pull");
    const session = new LabSession(lab(), "pull", {}, { configFile });
    await session.start();
    try {
      const before = new Set(hubPeers(lab()));
      const peersBefore = before.size;
      const sent = await session.operator.sendText(session.alertsRoom, "!add-pc pcp --via pull");
      const command = await linkCommand(session, sent);
      const url = command.split(" ")[2]!;
      // Link previews and a curious `| less` fetch the script: that must not use the link.
      for (let i = 0; i < 2; i++) {
        const peek = await onPc4(lab(), `curl -fsS ${url}`);
        expect(peek.code).toBe(0);
        expect(peek.out).toContain("wg genkey");
      }
      const run = await onPc4(lab(), command);
      expect(run.out).toContain("installed");
      expect(run.code).toBe(0);
      const done = await session.operator.waitFor(
        reactionTo(sent, lab().botUserId),
        WAIT * 2,
        "the add's outcome",
      );
      expect((done.content["m.relates_to"] as { key: string }).key).toBe("✅");
      const row = deviceRow(lab(), configFile, "pcp")!;
      expect(row).toMatchObject({ status: "live", backend: "wg", ssh_host: null });
      expect(hubPeers(lab())).toHaveLength(peersBefore + 1);
      expect(hubFileDevices(lab())).toContain("pcp");
      // The private key never left pc4: the bot's journal and state hold only the public half.
      const conf = (await onPc4(lab(), "cat /etc/wireguard/mesh0.conf", false)).out;
      const privateKey = /PrivateKey = (\S+)/.exec(conf)![1]!;
      const stateDir = loadConfig(configFile).config.state_dir;
      const db = readFileSync(join(stateDir, "meshpilot.db"));
      expect(db.includes(Buffer.from(privateKey))).toBe(false);
      // The agent on pc4 answers a signed /health from the hub, over the tunnel pc4 built.
      const healthy = agentHealthCheck(7700);
      expect(await healthy(row.mesh_ip!, readAgentSecret(stateDir, "pcp"))).toBe(true);

      // The same machine running the used link again gets told what to do.
      const again = await onPc4(lab(), command);
      expect(again.code).not.toBe(0);
      expect(again.out).toContain(
        "this link was already used; ask for a new one with !add-pc pcp --via pull",
      );

      // A new link for the enrolled name repairs it in place: same IP, a new key, one peer.
      const oldKey = hubPeers(lab()).filter((k) => !before.has(k));
      expect(oldKey).toHaveLength(1);
      const sent2 = await session.operator.sendText(session.alertsRoom, "!add-pc pcp --via pull");
      const command2 = await linkCommand(session, sent2);
      await cleanPc4(lab());
      const rerun = await onPc4(lab(), command2);
      expect(rerun.code).toBe(0);
      const done2 = await session.operator.waitFor(
        reactionTo(sent2, lab().botUserId),
        WAIT * 2,
        "the re-enrollment",
      );
      expect((done2.content["m.relates_to"] as { key: string }).key).toBe("✅");
      expect(hubPeers(lab())).toHaveLength(peersBefore + 1);
      expect(hubPeers(lab())).not.toContain(oldKey[0]);
      expect(deviceRow(lab(), configFile, "pcp")!.mesh_ip).toBe(row.mesh_ip);

      // Revoke: the hub side completes; the PC's side is named, with the command, and it works.
      const told = await revokePulled(session, "pcp");
      const uninstall = /run on the PC: (sudo sh \S+)/.exec(told)?.[1];
      expect(uninstall).toBeDefined();
      expect(hubPeers(lab())).toHaveLength(peersBefore);
      const removed = await onPc4(lab(), uninstall!.replace(/^sudo /, ""), false);
      expect(removed.code).toBe(0);
      expect(tracesOnPc(lab(), PC, lab().hosts[PC]!.adminUser!)).toEqual([]);
    } finally {
      await session.stop();
    }
  }, 300_000);

  test("a link that expires before the PC runs it rolls back: no name, no peer, nothing pending", async () => {
    const configFile = pullConfig(lab(), "pull-expiry", (c) => {
      (c.enroll as Record<string, unknown>).token_ttl_s = 6;
    });
    const session = new LabSession(lab(), "pull-expiry", {}, { configFile });
    await session.start();
    try {
      const peersBefore = hubPeers(lab()).length;
      const sent = await session.operator.sendText(session.alertsRoom, "!add-pc pcx --via pull");
      const command = await linkCommand(session, sent);
      const done = await session.operator.waitFor(
        reactionTo(sent, lab().botUserId),
        WAIT,
        "the add's outcome",
      );
      expect((done.content["m.relates_to"] as { key: string }).key).toBe("❌");
      expect(deviceRow(lab(), configFile, "pcx")).toBeUndefined();
      expect(hubPeers(lab())).toHaveLength(peersBefore);
      const late = await onPc4(lab(), command);
      expect(late.code).not.toBe(0);
      expect(late.out).toContain("not valid");
      expect(tracesOnPc(lab(), PC, lab().hosts[PC]!.adminUser!)).toEqual([]);
    } finally {
      await session.stop();
    }
  }, 120_000);

  test("a download that does not match its checksum is refused on the PC, which undoes itself; the bot rolls back", async () => {
    const facts = lab();
    // The bot's agent folder with a wrong checksum for linux-amd64: the PC must catch it.
    const real = loadConfig(facts.botConfig).config.mesh!.agent_dir;
    const bad = join(facts.labDir, "agent-bad-sums");
    rmSync(bad, { recursive: true, force: true });
    mkdirSync(bad);
    for (const f of readdirSync(real)) if (f !== "SHA256SUMS") symlinkSync(join(real, f), join(bad, f));
    writeFileSync(
      join(bad, "SHA256SUMS"),
      readFileSync(join(real, "SHA256SUMS"), "utf8").replace(
        /^[0-9a-f]{64}(?=\s+\*?device-agent-linux-amd64$)/m,
        "0".repeat(64),
      ),
    );
    const configFile = pullConfig(facts, "pull-badsum", (c) => {
      (c.mesh as Record<string, unknown>).agent_dir = bad;
    });
    const session = new LabSession(facts, "pull-badsum", {}, { configFile });
    await session.start();
    try {
      const peersBefore = hubPeers(facts).length;
      const sent = await session.operator.sendText(session.alertsRoom, "!add-pc pcb --via pull");
      const run = await onPc4(facts, await linkCommand(session, sent));
      expect(run.code).not.toBe(0);
      expect(run.out).toContain("checksum");
      const done = await session.operator.waitFor(
        reactionTo(sent, facts.botUserId),
        WAIT,
        "the add's outcome",
      );
      expect((done.content["m.relates_to"] as { key: string }).key).toBe("❌");
      expect(deviceRow(facts, configFile, "pcb")).toBeUndefined();
      expect(hubPeers(facts)).toHaveLength(peersBefore);
      expect(tracesOnPc(facts, PC, facts.hosts[PC]!.adminUser!)).toEqual([]);
    } finally {
      await session.stop();
    }
  }, 180_000);

  test("approve_first: the peer waits for an operator's 👍 on the card, then goes live; !enroll lists and cancels links", async () => {
    const configFile = pullConfig(lab(), "pull-approve", (c) => {
      (c.enroll as Record<string, unknown>).approve_first = true;
    });
    const session = new LabSession(lab(), "pull-approve", {}, { configFile });
    await session.start();
    try {
      const sentOther = await session.operator.sendText(session.alertsRoom, "!add-pc pco --via pull");
      await linkCommand(session, sentOther);
      const list = await session.command("!enroll");
      expect(session.noticeAfter(list.sent)).toContain("pco — linux/amd64");
      await session.command("!enroll cancel pco");
      const cancelled = await session.operator.waitFor(
        reactionTo(sentOther, lab().botUserId),
        WAIT,
        "the cancelled add",
      );
      expect((cancelled.content["m.relates_to"] as { key: string }).key).toBe("❌");

      const sent = await session.operator.sendText(session.alertsRoom, "!add-pc pca --via pull");
      const running = onPc4(lab(), await linkCommand(session, sent));
      const card = await session.operator.waitFor(
        (e) =>
          e.sender === lab().botUserId &&
          session.operator.isAfter(e, sent) &&
          String(e.content.body).includes("wants to join the mesh"),
        WAIT,
        "the approval card",
      );
      expect(deviceRow(lab(), configFile, "pca")?.mesh_ip ?? null).toBeNull();
      await session.operator.send(
        session.alertsRoom,
        { "m.relates_to": { rel_type: "m.annotation", event_id: card.event_id, key: "👍" } },
        "m.reaction",
      );
      expect((await running).code).toBe(0);
      const done = await session.operator.waitFor(
        reactionTo(sent, lab().botUserId),
        WAIT * 2,
        "the add's outcome",
      );
      expect((done.content["m.relates_to"] as { key: string }).key).toBe("✅");
      expect(deviceRow(lab(), configFile, "pca")?.status).toBe("live");
      await revokePulled(session, "pca");
    } finally {
      await session.stop();
      await cleanPc4(lab());
    }
  }, 300_000);
});

/** !revoke of a pulled device with its code; resolves with the outcome that names the PC's side. */
async function revokePulled(session: LabSession, name: string): Promise<string> {
  const code = await confirmationCode(session, session.facts, `!revoke ${name}`);
  const confirm = await session.operator.sendText(session.alertsRoom, `!revoke ${name} --confirm ${code}`);
  const told = await session.operator.waitFor(
    (e) =>
      e.sender === session.facts.botUserId &&
      session.operator.isAfter(e, confirm) &&
      String(e.content.body).includes("enrolled by pull"),
    WAIT,
    `the revoke outcome for ${name}`,
  );
  return String(told.content.body);
}
