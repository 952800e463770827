import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inTransaction, openDatabase, type Migration } from "../../../state/db";

describe("SQLite helpers", () => {
  const file = (): string => join(mkdtempSync(join(tmpdir(), "meshpilot-db-")), "t.db");

  test("migrations run once each, in order, recorded in user_version; WAL and foreign keys on", () => {
    const path = file();
    const ran: number[] = [];
    const migrations: Migration[] = [
      (db) => {
        ran.push(1);
        db.exec("CREATE TABLE a (id INTEGER PRIMARY KEY)");
      },
      (db) => {
        ran.push(2);
        db.exec("CREATE TABLE b (a_id INTEGER REFERENCES a(id))");
      },
    ];
    const db = openDatabase(path, migrations.slice(0, 1));
    db.close();
    const again = openDatabase(path, migrations);
    expect(ran).toEqual([1, 2]);
    expect(again.pragma("user_version", { simple: true })).toBe(2);
    expect(again.pragma("journal_mode", { simple: true })).toBe("wal");
    expect(() => again.prepare("INSERT INTO b (a_id) VALUES (42)").run()).toThrow(/FOREIGN KEY/);
  });

  test("a database newer than the code is refused", () => {
    const path = file();
    openDatabase(path, [() => undefined, () => undefined]).close();
    expect(() => openDatabase(path, [() => undefined])).toThrow(
      /schema version 2, newer than this meshpilot knows \(1\)/,
    );
  });

  test("a failing migration leaves the version where it was", () => {
    const path = file();
    expect(() =>
      openDatabase(path, [
        (db) => {
          db.exec("CREATE TABLE a (id INTEGER)");
          throw new Error("half-way");
        },
      ]),
    ).toThrow("half-way");
    const db = openDatabase(path, []);
    expect(db.pragma("user_version", { simple: true })).toBe(0);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'a'").get()).toBeUndefined();
  });

  test("inTransaction rolls back on error", () => {
    const db = openDatabase(":memory:", [(d) => d.exec("CREATE TABLE t (v TEXT)")]);
    expect(() =>
      inTransaction(db, () => {
        db.prepare("INSERT INTO t VALUES ('x')").run();
        throw new Error("no");
      }),
    ).toThrow("no");
    expect(db.prepare("SELECT count(*) AS n FROM t").get()).toEqual({ n: 0 });
  });
});
