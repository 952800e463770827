import Database from "better-sqlite3";
import type { SqlDatabase } from "../common/sql";

export type Db = Database.Database;

/**
 * One migration per schema version; `PRAGMA user_version` records how many have run.
 * Append only: never edit a migration that has shipped.
 */
export type Migration = (db: Db) => void;

export function openDatabase(path: string, migrations: readonly Migration[]): Db {
  const db = new Database(path);
  db.pragma("journal_mode = WAL");
  db.pragma("foreign_keys = ON");
  db.pragma("busy_timeout = 5000");
  migrate(db, migrations);
  return db;
}

export function migrate(db: Db, migrations: readonly Migration[]): void {
  const current = db.pragma("user_version", { simple: true }) as number;
  if (current > migrations.length) {
    throw new Error(
      `the state database is at schema version ${current}, newer than this meshpilot knows (${migrations.length}); upgrade meshpilot`,
    );
  }
  for (let version = current; version < migrations.length; version++) {
    const step = migrations[version];
    if (!step) continue;
    inTransaction(db, () => {
      step(db);
      db.pragma(`user_version = ${version + 1}`);
    });
  }
}

export function inTransaction<T>(db: Db, work: () => T): T {
  return db.transaction(work)();
}

/**
 * The bot's database as the shared SqlDatabase interface (used by the audit log, which
 * also runs on bun:sqlite). better-sqlite3's typings overload statements with a
 * named-parameter form; the shared code only ever binds positional values.
 */
export function asSqlDatabase(db: Db): SqlDatabase {
  return db as unknown as SqlDatabase;
}
