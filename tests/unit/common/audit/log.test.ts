import Database from "better-sqlite3";
import { AuditLog } from "../../../../common/audit/log";
import { asSqlDatabase } from "../../../../state/db";
import { canonicalJson, entryHash, GENESIS_HASH } from "../../../../common/audit/chain";

function freshLog(): { db: Database.Database; log: AuditLog } {
  const db = new Database(":memory:");
  let clock = 1_700_000_000_000;
  return { db, log: new AuditLog(asSqlDatabase(db), () => clock++) };
}

function filled(calls = 5): { db: Database.Database; log: AuditLog } {
  const fresh = freshLog();
  for (let i = 0; i < calls; i++) {
    const id = fresh.log.recordCall({
      capability: "fs.list",
      args: { path: `/home/u/${i}` },
      caller: "@op:x",
    });
    fresh.log.recordResult(id, "fs.list", "@op:x", { exitCode: 0, bytes: 10 * i, durationMs: 3 });
  }
  return fresh;
}

describe("the audit log", () => {
  test("an empty log verifies, with the genesis head", () => {
    const { log } = freshLog();
    expect(log.head()).toEqual({ count: 0, hash: GENESIS_HASH });
    expect(log.verify()).toEqual({ ok: true, count: 0, head: GENESIS_HASH });
  });

  test("calls and results chain, and the chain verifies", () => {
    const { log } = filled(3);
    const head = log.head();
    expect(head.count).toBe(6);
    expect(log.verify()).toEqual({ ok: true, count: 6, head: head.hash });
    const [latest] = log.recentCalls(1);
    expect(latest).toMatchObject({ kind: "call", id: 5, args: canonicalJson({ path: "/home/u/2" }) });
    expect(latest!.result).toMatchObject({ kind: "result", call_id: 5, exit_code: 0, bytes: 20 });
  });

  test("a refusal is a call entry with its reason", () => {
    const { log } = freshLog();
    const id = log.recordCall(
      { capability: "fs.read", args: { path: "/etc/shadow" }, caller: "@op:x" },
      "path outside paths_allowed",
    );
    expect(log.entries(0, 10)).toEqual([
      expect.objectContaining({ id, refusal: "path outside paths_allowed" }),
    ]);
  });

  test.each([
    ["an edited entry", `UPDATE audit SET args = '{"path":"/tmp"}' WHERE id = 3`, 3],
    ["an edited result", "UPDATE audit SET exit_code = 1 WHERE id = 4", 4],
    ["a deleted entry", "DELETE FROM audit WHERE id = 5", 5],
    [
      "reordered entries",
      "UPDATE audit SET id = -3 WHERE id = 3; UPDATE audit SET id = 3 WHERE id = 4; UPDATE audit SET id = 4 WHERE id = -3",
      3,
    ],
    [
      "an inserted entry",
      // Shift 7.. up by one (through negative ids: the primary key is checked per row), then copy 6 into 7.
      "UPDATE audit SET id = -id WHERE id >= 7; UPDATE audit SET id = -id + 1 WHERE id < 0; " +
        "INSERT INTO audit SELECT 7, kind, call_id, ts, capability, args, caller, exit_code, bytes, duration_ms, refusal, error, prev_hash, hash, ref FROM audit WHERE id = 6",
      7,
    ],
  ])("%s is found, naming the first broken id", (_name, sql, brokenId) => {
    const { db, log } = filled(5);
    db.exec(sql);
    const result = log.verify();
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.firstBrokenId).toBe(brokenId);
  });

  test("a cut tail verifies on its own but not against the remembered head", () => {
    const { db, log } = filled(5);
    const remembered = log.head();
    db.exec("DELETE FROM audit WHERE id > 6");
    expect(log.verify().ok).toBe(true);
    const result = log.verify(remembered);
    expect(result).toMatchObject({ ok: false, firstBrokenId: 7 });
  });

  test("a chain rewritten from some entry on is caught against the remembered head", () => {
    const { db, log } = filled(3);
    const remembered = log.head();
    // Rewrite everything from scratch with different content: a self-consistent forgery.
    db.exec("DELETE FROM audit");
    const forged = new AuditLog(asSqlDatabase(db));
    for (let i = 0; i < 8; i++) forged.recordCall({ capability: "proc.list", args: {}, caller: "@op:x" });
    expect(log.verify().ok).toBe(true);
    expect(log.verify(remembered)).toMatchObject({ ok: false, firstBrokenId: remembered.count });
  });

  test("appends continue the chain across reopening", () => {
    const { db, log } = filled(2);
    const again = new AuditLog(asSqlDatabase(db));
    again.recordCall({ capability: "proc.list", args: {}, caller: "@op:x" });
    expect(log.verify()).toMatchObject({ ok: true, count: 5 });
  });

  test("canonical JSON sorts keys at every level", () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { z: 1, y: 2 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[2,{"y":2,"z":1}]},"b":1}',
    );
  });

  test("a ref is kept on the call and its result, and is hashed", () => {
    const { db, log } = freshLog();
    const id = log.recordCall({ capability: "fs.list", args: {}, caller: "@op:x", ref: "call-ref-0001" });
    log.recordResult(id, "fs.list", "@op:x", { exitCode: 0, bytes: 1, durationMs: 1 }, "call-ref-0001");
    log.recordCall({ capability: "proc.list", args: {}, caller: "@op:x" });
    expect(log.entries(0, 10).map((e) => e.ref)).toEqual(["call-ref-0001", "call-ref-0001", null]);
    expect(log.verify()).toMatchObject({ ok: true, count: 3 });
    db.exec("UPDATE audit SET ref = 'call-ref-0002' WHERE id = 2");
    expect(log.verify()).toMatchObject({ ok: false, firstBrokenId: 2 });
  });

  test("a database from before ref gets the column, and its old chain still verifies", () => {
    const db = new Database(":memory:");
    db.exec(
      "CREATE TABLE audit (id INTEGER PRIMARY KEY, kind TEXT NOT NULL, call_id INTEGER NOT NULL, ts INTEGER NOT NULL, " +
        "capability TEXT NOT NULL, args TEXT NOT NULL, caller TEXT NOT NULL, exit_code INTEGER, bytes INTEGER, " +
        "duration_ms INTEGER, refusal TEXT, error TEXT, prev_hash TEXT NOT NULL, hash TEXT NOT NULL)",
    );
    // An entry as the old code hashed it: twelve fields, no ref.
    const old = {
      id: 1,
      kind: "call" as const,
      call_id: 1,
      ts: 1,
      capability: "proc.list",
      args: "{}",
      caller: "@op:x",
      exit_code: null,
      bytes: null,
      duration_ms: null,
      refusal: null,
      error: null,
    };
    const hash = entryHash(GENESIS_HASH, old);
    db.prepare(
      "INSERT INTO audit VALUES (1, 'call', 1, 1, 'proc.list', '{}', '@op:x', NULL, NULL, NULL, NULL, NULL, ?, ?)",
    ).run(GENESIS_HASH, hash);
    const log = new AuditLog(asSqlDatabase(db));
    expect(log.verify()).toMatchObject({ ok: true, count: 1 });
    log.recordCall({ capability: "fs.list", args: {}, caller: "@op:x", ref: "abcdefgh" });
    expect(log.verify()).toMatchObject({ ok: true, count: 2 });
    expect(log.entries(0, 5)[1]).toMatchObject({ ref: "abcdefgh" });
  });
});
