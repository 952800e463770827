import type { IAppserviceStorageProvider, IFilterInfo, IStorageProvider } from "matrix-bot-sdk";
import type { Db } from "../state/db";

/**
 * Appservice state in the bot's SQLite database. Completed transaction ids survive a
 * restart, so a transaction the homeserver re-sends after a crash is not handled twice.
 * After shutdown has closed the database, a late transaction is refused (and so re-sent
 * by the homeserver to the next start) instead of crashing the SDK's request handler.
 */
export class SqliteAppserviceStorage implements IAppserviceStorageProvider {
  constructor(private readonly db: Db) {}

  addRegisteredUser(userId: string): void {
    this.db
      .prepare("INSERT OR IGNORE INTO as_registered_users (user_id, registered_at) VALUES (?, ?)")
      .run(userId, Date.now());
  }

  isUserRegistered(userId: string): boolean {
    return this.db.prepare("SELECT 1 FROM as_registered_users WHERE user_id = ?").get(userId) !== undefined;
  }

  setTransactionCompleted(transactionId: string): void {
    this.db
      .prepare("INSERT OR IGNORE INTO as_transactions (txn_id, completed_at) VALUES (?, ?)")
      .run(transactionId, Date.now());
  }

  isTransactionCompleted(transactionId: string): boolean {
    if (!this.db.open) throw new Error("shutting down: transaction refused, the homeserver will retry");
    return this.db.prepare("SELECT 1 FROM as_transactions WHERE txn_id = ?").get(transactionId) !== undefined;
  }

  storageForUser(userId: string): IStorageProvider {
    return new SqliteKvStorage(this.db, `user:${userId}`);
  }
}

/** Per-user key/value storage the SDK asks for (sync token, filter, values). */
export class SqliteKvStorage implements IStorageProvider {
  constructor(
    private readonly db: Db,
    private readonly scope: string,
  ) {}

  setSyncToken(token: string | null): void {
    if (token === null) this.delete("sync_token");
    else this.storeValue("sync_token", token);
  }

  getSyncToken(): string | null {
    return this.readValue("sync_token") ?? null;
  }

  setFilter(filter: IFilterInfo): void {
    this.storeValue("filter", JSON.stringify(filter));
  }

  getFilter(): IFilterInfo {
    const value = this.readValue("filter");
    return (value ? JSON.parse(value) : null) as IFilterInfo;
  }

  storeValue(key: string, value: string): void {
    this.db
      .prepare(
        "INSERT INTO kv (scope, key, value) VALUES (?, ?, ?) ON CONFLICT (scope, key) DO UPDATE SET value = excluded.value",
      )
      .run(this.scope, key, value);
  }

  readValue(key: string): string | undefined {
    const row = this.db.prepare("SELECT value FROM kv WHERE scope = ? AND key = ?").get(this.scope, key) as
      { value: string } | undefined;
    return row?.value;
  }

  private delete(key: string): void {
    this.db.prepare("DELETE FROM kv WHERE scope = ? AND key = ?").run(this.scope, key);
  }
}
