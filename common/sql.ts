/**
 * The slice of SQLite that shared code (the audit log) uses, satisfied by both
 * better-sqlite3 (the bot, on Node) and bun:sqlite (the device agent). Positional `?`
 * parameters only: the two libraries name parameters differently.
 */
export interface SqlStatement {
  run(...params: SqlValue[]): unknown;
  get(...params: SqlValue[]): unknown;
  all(...params: SqlValue[]): unknown[];
}

export interface SqlDatabase {
  exec(sql: string): unknown;
  prepare(sql: string): SqlStatement;
  transaction<T>(work: () => T): () => T;
}

export type SqlValue = string | number | bigint | null | Uint8Array;
