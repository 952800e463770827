import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HistoryStore } from "../../../agents/history";
import { estimateTokens, type AgentMessage } from "../../../agents/messages";
import { openDatabase, type Db } from "../../../state/db";
import { BOT_MIGRATIONS } from "../../../state/migrations";

const turn = (question: string, answer: string): AgentMessage[] => [
  { role: "user", content: [{ type: "text", text: question }] },
  {
    role: "assistant",
    content: [{ type: "tool_use", id: `t-${question}`, name: "fs_list", input: { path: "/" } }],
  },
  { role: "user", content: [{ type: "tool_result", tool_use_id: `t-${question}`, content: "bin etc home" }] },
  { role: "assistant", content: [{ type: "text", text: answer }] },
];

describe("HistoryStore", () => {
  let db: Db;
  beforeEach(() => {
    db = openDatabase(":memory:", BOT_MIGRATIONS);
  });

  test("keeps whole turns, oldest first, per room", () => {
    const history = new HistoryStore(db, { maxTurns: 10, maxTokens: 10_000 });
    history.append("!a", turn("q1", "a1"));
    history.append("!b", turn("other", "room"));
    history.append("!a", turn("q2", "a2"));
    expect(history.load("!a")).toEqual([...turn("q1", "a1"), ...turn("q2", "a2")]);
    expect(history.load("!b")).toEqual(turn("other", "room"));
  });

  test("bounded by turns: older turns are deleted", () => {
    const history = new HistoryStore(db, { maxTurns: 2, maxTokens: 10_000 });
    for (const n of [1, 2, 3]) history.append("!a", turn(`q${n}`, `a${n}`));
    expect(history.turnCount("!a")).toBe(2);
    expect(history.load("!a")).toEqual([...turn("q2", "a2"), ...turn("q3", "a3")]);
  });

  test("bounded by tokens: only the newest turns that fit are sent, starting with the operator's words", () => {
    const one = estimateTokens(turn("q1", "x".repeat(400)));
    const history = new HistoryStore(db, { maxTurns: 10, maxTokens: one * 2 + 1 });
    for (const n of [1, 2, 3]) history.append("!a", turn(`q${n}`, "x".repeat(400)));
    const loaded = history.load("!a");
    expect(loaded).toHaveLength(8);
    expect(loaded[0]).toEqual({ role: "user", content: [{ type: "text", text: "q2" }] });
  });

  test("a turn bigger than the token bound is never sent, so nothing older is either", () => {
    const history = new HistoryStore(db, { maxTurns: 10, maxTokens: 50 });
    history.append("!a", turn("q1", "short"));
    history.append("!a", turn("q2", "y".repeat(1000)));
    expect(history.load("!a")).toEqual([]);
  });

  test("survives reopening the database file", () => {
    const file = join(tmpdir(), `meshpilot-history-${process.pid}.db`);
    rmSync(file, { force: true });
    const first = openDatabase(file, BOT_MIGRATIONS);
    new HistoryStore(first, { maxTurns: 5, maxTokens: 10_000 }).append("!a", turn("q1", "a1"));
    first.close();
    const again = openDatabase(file, BOT_MIGRATIONS);
    expect(new HistoryStore(again, { maxTurns: 5, maxTokens: 10_000 }).load("!a")).toEqual(turn("q1", "a1"));
    again.close();
  });
});
