import { ApprovalBroker } from "../../../agents/approvals";
import { openDatabase, type Db } from "../../../state/db";
import { BOT_MIGRATIONS } from "../../../state/migrations";
import { memoryLogger } from "../support/fakes";

const OPERATOR = "@op:example.org";
const STRANGER = "@stranger:example.org";

describe("ApprovalBroker", () => {
  let db: Db;
  let posted: number;
  const broker = (timeoutMs = 60_000): ApprovalBroker =>
    new ApprovalBroker(db, { operators: new Set([OPERATOR]), timeoutMs, log: memoryLogger().log });
  const post = (): Promise<string> => Promise.resolve(`$ask${++posted}`);
  const state = (eventId: string): unknown =>
    db.prepare("SELECT state, decided_by FROM agent_approvals WHERE event_id = ?").get(eventId);
  const settled = async <T>(promise: Promise<T>): Promise<boolean> => {
    const marker = Symbol("pending");
    const winner = await Promise.race([promise, new Promise((r) => setImmediate(() => r(marker)))]);
    return winner !== marker;
  };

  beforeEach(() => {
    db = openDatabase(":memory:", BOT_MIGRATIONS);
    posted = 0;
  });

  test("an operator's ✅ reaction allows, and the row records who", async () => {
    const b = broker();
    const decision = b.request("!room", "pc1", "docker.restart nginx", post);
    await Promise.resolve();
    await new Promise((r) => setImmediate(r));
    expect(b.onReaction("!room", OPERATOR, "$ask1", "✅️")).toBe(true);
    await expect(decision).resolves.toEqual({ outcome: "allowed", by: OPERATOR });
    expect(state("$ask1")).toEqual({ state: "allowed", decided_by: OPERATOR });
  });

  test("a stranger's reaction does nothing; the operator's 👎 then refuses", async () => {
    const b = broker();
    const decision = b.request("!room", "pc1", "shell.eval rm -rf ~", post);
    await new Promise((r) => setImmediate(r));
    expect(b.onReaction("!room", STRANGER, "$ask1", "✅")).toBe(false);
    expect(b.onReply("!room", STRANGER, "yes")).toBe(false);
    expect(await settled(decision)).toBe(false);
    expect(state("$ask1")).toEqual({ state: "pending", decided_by: null });
    expect(b.onReaction("!room", OPERATOR, "$ask1", "👎")).toBe(true);
    await expect(decision).resolves.toEqual({ outcome: "refused", by: OPERATOR });
  });

  test("the operator's localpart on another server is not the operator: neither a reaction nor a reply answers", async () => {
    const b = broker();
    const decision = b.request("!room", "pc1", "docker.restart nginx", post);
    await new Promise((r) => setImmediate(r));
    const impostor = "@op:evil.org";
    expect(b.onReaction("!room", impostor, "$ask1", "✅")).toBe(false);
    expect(b.onReply("!room", impostor, "yes")).toBe(false);
    expect(await settled(decision)).toBe(false);
    expect(state("$ask1")).toEqual({ state: "pending", decided_by: null });
  });

  test("a reaction to another event or in another room, or an unrelated emoji, is not an answer", async () => {
    const b = broker();
    const decision = b.request("!room", "pc1", "proc.kill 42", post);
    await new Promise((r) => setImmediate(r));
    expect(b.onReaction("!room", OPERATOR, "$other", "✅")).toBe(false);
    expect(b.onReaction("!elsewhere", OPERATOR, "$ask1", "✅")).toBe(false);
    expect(b.onReaction("!room", OPERATOR, "$ask1", "🎉")).toBe(false);
    expect(await settled(decision)).toBe(false);
    expect(b.onReply("!room", OPERATOR, "no")).toBe(true);
    await expect(decision).resolves.toEqual({ outcome: "refused", by: OPERATOR });
  });

  test("the timeout declines", async () => {
    const b = broker(30);
    const decision = await b.request("!room", "pc1", "pkg.install htop", post);
    expect(decision).toEqual({ outcome: "timed_out", afterS: 0.03 });
    expect(state("$ask1")).toEqual({ state: "timed_out", decided_by: null });
    expect(b.hasPending("!room")).toBe(false);
  });

  test("requests left pending by a previous process are declined at start and listed", async () => {
    const first = broker();
    void first.request("!room", "pc1", "docker.restart nginx", post);
    await new Promise((r) => setImmediate(r));
    const second = broker();
    expect(second.declineLeftovers()).toEqual([
      { roomId: "!room", device: "pc1", call: "docker.restart nginx" },
    ]);
    expect(state("$ask1")).toEqual({ state: "restarted", decided_by: null });
    expect(second.declineLeftovers()).toEqual([]);
  });
});
