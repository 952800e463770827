import { Database } from "bun:sqlite";
import { AUDIT_PRAGMAS, type OpenAuditDb } from "./audit-db";

/** The audit database in the Bun-built executable (never imported under Node). */
export const openBunAuditDb: OpenAuditDb = (path) => {
  const db = new Database(path, { create: true, readwrite: true });
  for (const pragma of AUDIT_PRAGMAS) db.exec(pragma);
  return db;
};
