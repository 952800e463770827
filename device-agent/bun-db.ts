import { Database, type Statement } from "bun:sqlite";
import { AUDIT_PRAGMAS, type OpenAuditDb } from "./audit-db";

/**
 * The audit database in the Bun-built executable (never imported under Node).
 *
 * bun:sqlite's close() leaves the connection open (sqlite3_close_v2) while any statement
 * from prepare() is not finalized, and SQLite on Windows opens its files without
 * FILE_SHARE_DELETE: audit.db, -wal and -shm then stay locked and cannot be deleted
 * (EBUSY) until the process exits. So statements are kept here, one per SQL text (the
 * audit log uses a handful), and finalized before the database is closed.
 */
export const openBunAuditDb: OpenAuditDb = (path) => {
  const db = new Database(path, { create: true, readwrite: true });
  for (const pragma of AUDIT_PRAGMAS) db.exec(pragma);
  const statements = new Map<string, Statement>();
  return {
    exec: (sql) => db.exec(sql),
    transaction: (work) => db.transaction(work),
    // One statement per text is safe to share: run/get/all bind, step to the end and reset.
    prepare(sql) {
      let statement = statements.get(sql);
      if (!statement) statements.set(sql, (statement = db.prepare(sql)));
      return statement;
    },
    close() {
      for (const statement of statements.values()) statement.finalize();
      statements.clear();
      db.close();
    },
  };
};
