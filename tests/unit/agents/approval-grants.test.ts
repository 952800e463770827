import { askOperators, type CallToApprove } from "../../../agents/approval-ask";
import { scopeOf, type ApprovalScope } from "../../../agents/approval-scope";
import { ApprovalBroker } from "../../../agents/approvals";
import type { CardMessage } from "../../../agents/card";
import type { ApprovalNeed } from "../../../capabilities/types";
import { openDatabase, type Db } from "../../../state/db";
import type { Device } from "../../../state/devices";
import { BOT_MIGRATIONS } from "../../../state/migrations";
import { memoryLogger } from "../support/fakes";

const OP = "@op:example.org";
const STRANGER = "@stranger:example.org";
const SESSION_MS = 15 * 60_000;
const CHANGE: ApprovalNeed = { needed: true, callClass: "change", reason: "fs.write changes a file" };
const pc1 = { name: "pc1", backend: "wg", created_at: 1, os: "linux", manifest: "{}" } as Device;
const WRITE: CallToApprove = { tool: "fs.write", input: { path: "/home/a/x", content: "x" }, need: CHANGE };
/** 2026-12-02 14:00 UTC. */
const T0 = Date.parse("2026-12-02T14:00:00Z");

/** The broker with a clock the test moves, and a room that records what it was sent. */
function setup(sessionMs: number | null = SESSION_MS) {
  const db: Db = openDatabase(":memory:", BOT_MIGRATIONS);
  const clock = { now: T0 };
  const broker = new ApprovalBroker(db, {
    operators: new Set([OP]),
    timeoutMs: 60_000,
    ...(sessionMs !== null ? { sessionMs } : {}),
    log: memoryLogger().log,
    now: () => clock.now,
  });
  const said: string[] = [];
  const cards: CardMessage[] = [];
  const room = {
    notice: (text: string) => Promise.resolve(`$n${said.push(text)}`),
    ask: (card: CardMessage) => Promise.resolve(`$card${cards.push(card)}`),
  };
  /** One call through the same path the host uses; `answer` reacts to the card if one comes. */
  const call = async (what = WRITE, answer?: string, from = OP) => {
    const before = cards.length;
    const decision = askOperators(broker, pc1, "!r", room, what, () => Promise.resolve());
    await new Promise((r) => setImmediate(r));
    if (cards.length > before && answer) broker.onReaction("!r", from, `$card${cards.length}`, answer);
    return { decision: await decision, carded: cards.length > before };
  };
  const rows = () =>
    db
      .prepare("SELECT state, decided_by, scope, grant_id FROM agent_approvals ORDER BY created_at, rowid")
      .all();
  return { db, clock, broker, said, cards, call, rows };
}

describe("🔁 session grants", () => {
  test("🔁 allows the call and the next identical-scope call runs without a card, until it expires", async () => {
    const t = setup();
    const first = await t.call(WRITE, "🔁");
    expect(first.carded).toBe(true);
    expect(t.cards[0]!.body).toContain(
      "React 👍 or ✅ to allow this call once, 🔁 to allow all fs.write calls on pc1 for 15 min (any arguments, no more cards), 👎 or ❌ to refuse.",
    );
    expect(first.decision).toMatchObject({ outcome: "allowed", by: `${OP} (session grant #1)` });
    expect(t.said.pop()).toBe(
      `🔁 ${OP} allowed all fs.write calls on pc1 until 14:15 UTC (session grant #1; !approvals revoke 1 ends it) — running \`fs.write /home/a/x (1 bytes, SHA-256 2d711642b726b044…)\``,
    );

    t.clock.now = T0 + 5 * 60_000;
    const other = { ...WRITE, input: { path: "/home/a/y", content: "other" } };
    const second = await t.call(other);
    expect(second.carded).toBe(false);
    expect(second.decision).toEqual({ outcome: "allowed", by: `${OP} (session grant #1)` });
    expect(t.said.pop()).toMatch(
      /^✅ allowed by @op:example.org's 15 min session grant #1 for fs.write calls on pc1 \(until 14:15 UTC\) — running `fs.write \/home\/a\/y/,
    );

    // One millisecond before the end it still covers; at the end it does not.
    t.clock.now = T0 + SESSION_MS - 1;
    expect((await t.call(WRITE)).carded).toBe(false);
    t.clock.now = T0 + SESSION_MS;
    const expired = await t.call(WRITE, "👎");
    expect(expired.carded).toBe(true);
    expect(expired.decision).toEqual({ outcome: "refused", by: OP });

    // Every decision is a row with who and what scope.
    expect(t.rows()).toEqual([
      { state: "allowed", decided_by: OP, scope: "session", grant_id: 1 },
      { state: "allowed", decided_by: OP, scope: "grant", grant_id: 1 },
      { state: "allowed", decided_by: OP, scope: "grant", grant_id: 1 },
      { state: "refused", decided_by: OP, scope: "once", grant_id: null },
    ]);
    expect(t.db.prepare("SELECT uses FROM approval_grants WHERE id = 1").get()).toEqual({ uses: 2 });
  });

  test("✅ allows once: the same call asks again", async () => {
    const t = setup();
    expect((await t.call(WRITE, "✅")).decision).toEqual({ outcome: "allowed", by: OP });
    expect((await t.call(WRITE, "✅")).carded).toBe(true);
    expect(t.rows()).toEqual([
      { state: "allowed", decided_by: OP, scope: "once", grant_id: null },
      { state: "allowed", decided_by: OP, scope: "once", grant_id: null },
    ]);
    expect(t.broker.grants.live()).toEqual([]);
  });

  test("a grant for fs.write does not cover proc.kill, nor pc2", async () => {
    const t = setup();
    await t.call(WRITE, "🔁");
    const kill = {
      tool: "proc.kill",
      input: { pid: 4242 },
      need: { ...CHANGE, reason: "proc.kill stops a process" },
    };
    expect((await t.call(kill, "❌")).carded).toBe(true);
    const pc2Scope = scopeOf({ ...pc1, name: "pc2" }, WRITE.tool, WRITE.input, CHANGE) as ApprovalScope;
    expect(t.broker.useGrant("!r2", "fs.write", pc2Scope)).toBeUndefined();
  });

  test("a stranger's 🔁 does nothing; 🔁 on a card that offers no session is ignored", async () => {
    const t = setup();
    const pending = askOperators(
      t.broker,
      pc1,
      "!r",
      { notice: (x) => Promise.resolve(x), ask: () => Promise.resolve("$c") },
      WRITE,
      () => Promise.resolve(),
    );
    await new Promise((r) => setImmediate(r));
    expect(t.broker.onReaction("!r", STRANGER, "$c", "🔁")).toBe(false);
    expect(t.broker.onReaction("!r", OP, "$c", "✅")).toBe(true);
    await pending;

    const off = setup(null);
    const request = off.call(WRITE);
    await new Promise((r) => setImmediate(r));
    expect(off.cards[0]!.body).toContain("React 👍 or ✅ to allow, 👎 or ❌ to refuse.");
    expect(off.cards[0]!.body).not.toContain("🔁");
    expect(off.broker.onReaction("!r", OP, "$card1", "🔁")).toBe(false);
    expect(off.broker.onReaction("!r", OP, "$card1", "👍")).toBe(true);
    expect((await request).decision).toEqual({ outcome: "allowed", by: OP });
    expect(off.broker.grants.live()).toEqual([]);
  });

  test('a typed "session" answers like 🔁', async () => {
    const t = setup();
    const request = t.call(WRITE);
    await new Promise((r) => setImmediate(r));
    expect(t.broker.onReply("!r", OP, "session")).toBe(true);
    expect((await request).decision).toMatchObject({ outcome: "allowed", by: `${OP} (session grant #1)` });
  });

  test("revoke ends a grant at once; a restart ends every live grant", async () => {
    const t = setup();
    await t.call(WRITE, "🔁");
    await t.call({ ...WRITE, tool: "docker.restart", input: { container: "x" } }, "🔁");
    expect(t.broker.grants.live().map((g) => g.id)).toEqual([1, 2]);
    expect(t.broker.grants.revoke(1, OP)).toEqual([1]);
    expect((await t.call(WRITE, "❌")).carded).toBe(true);
    expect(t.db.prepare("SELECT ended_by, end_reason FROM approval_grants WHERE id = 1").get()).toEqual({
      ended_by: OP,
      end_reason: "revoked",
    });
    // A new broker on the same database is the next process.
    const next = new ApprovalBroker(t.db, {
      operators: new Set([OP]),
      timeoutMs: 1000,
      sessionMs: SESSION_MS,
      log: memoryLogger().log,
      now: () => t.clock.now,
    });
    next.declineLeftovers();
    expect(next.grants.live()).toEqual([]);
    expect(t.db.prepare("SELECT end_reason FROM approval_grants WHERE id = 2").get()).toEqual({
      end_reason: "restarted",
    });
  });
});

describe("a grant through the agent's turn", () => {
  test("the tool receives approvedBy naming the grant; the second identical-scope turn posts no card", async () => {
    const { AgentHost } = await import("../../../agents/host");
    const { HistoryStore } = await import("../../../agents/history");
    const db = openDatabase(":memory:", BOT_MIGRATIONS);
    const log = memoryLogger().log;
    const broker = new ApprovalBroker(db, {
      operators: new Set([OP]),
      timeoutMs: 60_000,
      sessionMs: SESSION_MS,
      log,
    });
    const contexts: unknown[] = [];
    const cards: string[] = [];
    const said: string[] = [];
    let round = 0;
    const host = new AgentHost({
      model: {
        create: () =>
          Promise.resolve(
            round++ % 2 === 0
              ? {
                  content: [
                    {
                      type: "tool_use" as const,
                      id: `t${round}`,
                      name: "fs_write",
                      input: { path: "/a", content: "x" },
                    },
                  ],
                  stopReason: "tool_use",
                }
              : { content: [{ type: "text" as const, text: "done" }], stopReason: "end_turn" },
          ),
      },
      registry: {
        toolsFor: () => [
          {
            name: "fs.write",
            description: "writes",
            inputSchema: {},
            classify: () => CHANGE,
            timeoutMs: 1000,
            execute: (_input, ctx) => Promise.resolve({ ok: true, output: String(contexts.push(ctx)) }),
          },
        ],
      },
      history: new HistoryStore(db, { maxTurns: 5, maxTokens: 10_000 }),
      approvals: broker,
      roomFor: () => ({
        say: (text) => Promise.resolve(String(said.push(text))),
        notice: (text) => Promise.resolve(String(said.push(text))),
        ask: (card) => {
          cards.push(card.body);
          setImmediate(() => broker.onReaction("!r", OP, `$card${cards.length}`, "🔁"));
          return Promise.resolve(`$card${cards.length}`);
        },
        typing: () => Promise.resolve(),
      }),
      limits: { maxToolRounds: 2, toolOutputMaxChars: 1000, approvalTimeoutS: 60 },
      agentPort: 7700,
      log,
    });
    const message = (body: string) => ({ roomId: "!r", eventId: `$${body}`, sender: OP, body });
    await host.handle(pc1, message("first"));
    await host.handle(pc1, message("second"));
    expect(said.filter((s) => s === "done")).toHaveLength(2);
    expect(said.some((s) => s.startsWith("✅ allowed by"))).toBe(true);
    expect(cards).toHaveLength(1);
    expect(contexts).toEqual([
      { caller: OP, approvedBy: `${OP} (session grant #1)` },
      { caller: OP, approvedBy: `${OP} (session grant #1)` },
    ]);
  });
});
