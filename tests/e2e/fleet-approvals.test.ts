import { readFileSync } from "node:fs";
import { join } from "node:path";
import { callTool, lastToolResults, say } from "../../lab/anthropic-standin";
import type { MatrixEvent } from "../../lab/matrix-client";
import { openDatabase } from "../../state/db";
import { DeviceStore } from "../../state/devices";
import { BOT_MIGRATIONS } from "../../state/migrations";
import { revokeDevice } from "./support/device-room";
import { describeLab } from "./support/lab";
import { WAIT } from "./support/session";
import { WgAgentRoom } from "./support/wg-agent-room";

const SECRET = "fleet-approvals-secret-0123456789abcdef0123456";
const DEVICE = "fba1";
/** Long enough for two turns on a busy machine, short enough to wait out in the test. */
const SESSION_S = 40;
const OPERATOR = "@operator:meshpilot.test";

/**
 * Approvals with scope on the lab: the real bot, the SDK against the Messages API stand-in,
 * the real device agent in pc1 (the device is fba1 in the bot). 🔁 on a change call's card
 * lets the next identical-scope call run without a card (and the device's audit names the
 * grant), a call of another capability still asks, the grant expires after
 * llm.approval_session_s, and !approvals lists and revokes grants.
 */
describeLab("approvals with scope: 🔁 session grants", (lab) => {
  let dev: WgAgentRoom;

  const texts = (after: string): MatrixEvent[] =>
    dev.session.operator.events.filter(
      (e) => e.room_id === dev.room && e.sender === dev.agent && dev.session.operator.isAfter(e, after),
    );
  const bodyOf = (e: MatrixEvent): string => {
    const edited = (e.content["m.new_content"] as { body?: unknown } | undefined)?.body;
    const body = edited ?? e.content.body;
    return typeof body === "string" ? body : "";
  };
  /** The agent's message (a streamed one too: its first post or an edit) whose text starts with `prefix`. */
  const answer = (after: string, prefix: string): Promise<MatrixEvent> =>
    dev.session.operator.waitForAfter(
      after,
      (e) => e.room_id === dev.room && e.sender === dev.agent && bodyOf(e).startsWith(prefix),
      WAIT,
      `the answer starting ${prefix}`,
    );
  const card = (after: string): Promise<MatrixEvent> =>
    dev.says(after, (b) => b.includes("wants to run"), "the approval card");
  const cardsBetween = (after: string, until: MatrixEvent): MatrixEvent[] =>
    texts(after).filter(
      (e) =>
        bodyOf(e).includes("wants to run") &&
        dev.session.operator.events.indexOf(e) < dev.session.operator.events.indexOf(until),
    );
  /** Scripts one write of `content` to notes.txt and asks for it. */
  const askWrite = async (content: string): Promise<string> => {
    dev.standIn.script(
      callTool("fs_write", { path: join(dev.home, "notes.txt"), content, mode: "overwrite" }),
      (r) => say(`Wrote: ${lastToolResults(r)[0]!.content}`),
    );
    return dev.ask(`write ${content.trim()}`);
  };
  const grantRow = (id: number): { expires_at: number; granted_by: string; uses: number } => {
    const db = openDatabase(dev.dbPath, BOT_MIGRATIONS);
    try {
      return db.prepare("SELECT expires_at, granted_by, uses FROM approval_grants WHERE id = ?").get(id) as {
        expires_at: number;
        granted_by: string;
        uses: number;
      };
    } finally {
      db.close();
    }
  };
  const command = async (text: string): Promise<string> => {
    const { sent, reaction } = await dev.session.command(text);
    if (reaction !== "✅") throw new Error(`${text} was answered ${reaction}`);
    return dev.session.noticeAfter(sent) ?? "";
  };

  beforeAll(async () => {
    dev = new WgAgentRoom(lab(), "fleet-approvals", SECRET, { approval_session_s: SESSION_S }, DEVICE);
    await dev.start();
  }, 180_000);

  afterAll(async () => {
    if (dev?.session) {
      // Added over SSH and made a WireGuard row by the harness: revoke it as what the bot
      // really set up (room and agent user), without touching pc1's own services.
      const db = openDatabase(dev.dbPath, BOT_MIGRATIONS);
      new DeviceStore(db).update(DEVICE, { backend: "ssh" });
      db.close();
      await revokeDevice(dev.session, lab(), DEVICE);
    }
    await dev?.stop();
  }, 120_000);

  beforeEach(() => dev.standIn.reset());

  test("🔁 → the identical call runs without a card, another capability asks, the grant expires", async () => {
    // 1. The card offers 🔁 with its scope and length; the operator taps it.
    const first = await askWrite("one\n");
    const offer = await card(first);
    expect(offer.content.body).toContain(
      `React 👍 or ✅ to allow this call once, 🔁 to allow all fs.write calls on ${DEVICE} for ${SESSION_S} s (any arguments, no more cards), 👎 or ❌ to refuse.`,
    );
    await dev.session.operator.react(dev.room, offer.event_id, "🔁");
    const granted = await dev.notice(offer.event_id, (b) => b.startsWith("🔁"), "the grant notice");
    expect(granted.content.body).toMatch(
      new RegExp(
        `^🔁 ${OPERATOR} allowed all fs\\.write calls on ${DEVICE} until \\d\\d:\\d\\d UTC \\(session grant #1; !approvals revoke 1 ends it\\) — running`,
      ),
    );
    await answer(offer.event_id, "Wrote:");
    expect(readFileSync(join(dev.home, "notes.txt"), "utf8")).toBe("one\n");

    // 2. The same scope again: no card, one notice naming the grant, and it runs.
    const second = await askWrite("two\n");
    const covered = await dev.notice(second, (b) => b.startsWith("✅ allowed by"), "the grant-use notice");
    expect(covered.content.body).toMatch(
      new RegExp(
        `^✅ allowed by ${OPERATOR}'s ${SESSION_S} s session grant #1 for fs\\.write calls on ${DEVICE} \\(until \\d\\d:\\d\\d UTC\\) — running`,
      ),
    );
    const done = await answer(second, "Wrote:");
    expect(cardsBetween(second, done)).toEqual([]);
    expect(readFileSync(join(dev.home, "notes.txt"), "utf8")).toBe("two\n");
    const writes = (await dev.audit()).filter((e) => e.capability === "fs.write" && e.kind === "call");
    expect(writes.map((e) => e.caller)).toEqual([
      `${OPERATOR} (approved by ${OPERATOR} (session grant #1))`,
      `${OPERATOR} (approved by ${OPERATOR} (session grant #1))`,
    ]);

    // 3. Another capability of the same class is not covered: it asks, and ❌ refuses it.
    dev.standIn.script(callTool("proc_kill", { pid: 999_999 }), (r) =>
      say(`Kill: ${lastToolResults(r)[0]!.content}`),
    );
    const kill = await dev.ask("kill 999999");
    const killCard = await card(kill);
    expect(killCard.content.body).toContain(`🔁 to allow all proc.kill calls on ${DEVICE}`);
    await dev.session.operator.react(dev.room, killCard.event_id, "❌");
    await answer(killCard.event_id, "Kill:");

    // !approvals lists the live grant.
    const list = await command("!approvals");
    expect(list).toContain(`#1 ${DEVICE} until`);
    expect(list).toContain("fs.write calls");
    // Uses: calls run under the grant without a card (the one 🔁 answered is the decision).
    expect(list).toContain(`by ${OPERATOR}, used 1×`);

    // 4. Past its expiry (the bot's own row says when) the same call asks again.
    const { expires_at: expiresAt } = grantRow(1);
    while (Date.now() <= expiresAt + 1000) await new Promise((r) => setTimeout(r, 250));
    const third = await askWrite("three\n");
    const again = await card(third);
    await dev.session.operator.react(dev.room, again.event_id, "👍");
    await answer(again.event_id, "Wrote:");
    expect(readFileSync(join(dev.home, "notes.txt"), "utf8")).toBe("three\n");
    expect(grantRow(1).uses).toBe(1);
    expect(await command("!approvals")).toContain("no live session grants");
  }, 240_000);

  test("!approvals revoke ends a grant at once: the next identical call asks again", async () => {
    // Whatever an earlier test left live ends first, so the write below must ask.
    await command("!approvals revoke all");
    const first = await askWrite("four\n");
    const offer = await card(first);
    await dev.session.operator.react(dev.room, offer.event_id, "🔁");
    await answer(offer.event_id, "Wrote:");
    const id = /session grant #(\d+)/.exec(
      bodyOf(await dev.notice(offer.event_id, (b) => b.startsWith("🔁"), "the grant notice")),
    )![1]!;
    expect(await command(`!approvals revoke ${id}`)).toBe(
      `Ended #${id} (fs.write calls on ${DEVICE}). Those calls ask again.`,
    );
    const next = await askWrite("five\n");
    const asked = await card(next);
    await dev.session.operator.react(dev.room, asked.event_id, "❌");
    await answer(asked.event_id, "Wrote:");
    expect(readFileSync(join(dev.home, "notes.txt"), "utf8")).toBe("four\n");
  }, 180_000);
});
