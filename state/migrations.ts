import type { Migration } from "./db";

/** The bot's own state database (state_dir/meshpilot.db). */
export const BOT_MIGRATIONS: readonly Migration[] = [
  (db) => {
    db.exec(`
      CREATE TABLE as_transactions (
        txn_id TEXT PRIMARY KEY,
        completed_at INTEGER NOT NULL
      );
      CREATE TABLE as_registered_users (
        user_id TEXT PRIMARY KEY,
        registered_at INTEGER NOT NULL
      );
      CREATE TABLE kv (
        scope TEXT NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (scope, key)
      );
    `);
  },
];
