import Database from "better-sqlite3";
import { AUDIT_PRAGMAS, type OpenAuditDb } from "./audit-db";
import type { SqlDatabase } from "../common/sql";

/** The audit database under Node (tests, benchmark), with the same pragmas as on the device. */
export const openNodeAuditDb: OpenAuditDb = (path) => {
  const db = new Database(path);
  for (const pragma of AUDIT_PRAGMAS) db.exec(pragma);
  // better-sqlite3 types statements with a named-parameter overload; the shared code binds positionally.
  return db as unknown as SqlDatabase & { close(): void };
};
