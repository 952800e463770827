import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase } from "../../../state/db";
import { BOT_MIGRATIONS } from "../../../state/migrations";
import { SqliteAppserviceStorage } from "../../../bot/storage";

describe("appservice storage", () => {
  test("completed transactions and registered users survive reopening the database", () => {
    const file = join(mkdtempSync(join(tmpdir(), "meshpilot-db-")), "meshpilot.db");
    const first = openDatabase(file, BOT_MIGRATIONS);
    const storage = new SqliteAppserviceStorage(first);
    expect(storage.isTransactionCompleted("txn1")).toBe(false);
    storage.setTransactionCompleted("txn1");
    storage.setTransactionCompleted("txn1");
    storage.addRegisteredUser("@agent-pc1:example.org");
    void storage.storageForUser("@meshpilot:example.org").setSyncToken("s1");
    first.close();

    const second = new SqliteAppserviceStorage(openDatabase(file, BOT_MIGRATIONS));
    expect(second.isTransactionCompleted("txn1")).toBe(true);
    expect(second.isTransactionCompleted("txn2")).toBe(false);
    expect(second.isUserRegistered("@agent-pc1:example.org")).toBe(true);
    expect(second.storageForUser("@meshpilot:example.org").getSyncToken()).toBe("s1");
    expect(second.storageForUser("@other:example.org").getSyncToken()).toBeNull();
  });

  test("after the database is closed a late transaction is refused, not crashed on", () => {
    const db = openDatabase(":memory:", BOT_MIGRATIONS);
    const storage = new SqliteAppserviceStorage(db);
    db.close();
    expect(() => storage.isTransactionCompleted("late")).toThrow(/shutting down/);
  });
});
