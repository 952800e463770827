import Database from "better-sqlite3";
import { entryHash, GENESIS_HASH, type AuditEntry } from "../../../common/audit/chain";

/**
 * A hostile device's edit of its own audit database: change one entry, then recompute the
 * hash and link of it and of every entry after it, so the device's own verification (and
 * GET /audit/verify without a remembered head) still says ok. Returns the entries as rewritten.
 */
export function rewriteAndRechain(
  dbFile: string,
  id: number,
  change: (entry: AuditEntry) => Partial<AuditEntry>,
): AuditEntry[] {
  const db = new Database(dbFile);
  db.pragma("busy_timeout = 5000");
  try {
    const rows = db.prepare("SELECT * FROM audit WHERE id >= ? ORDER BY id").all(id - 1) as AuditEntry[];
    const before = rows[0]?.id === id - 1 ? rows.shift() : undefined;
    if (rows[0]?.id !== id) throw new Error(`${dbFile} has no entry ${id}`);
    let prev = before?.hash ?? GENESIS_HASH;
    const rewritten = rows.map((row, i) => {
      const entry = { ...row, ...(i === 0 ? change(row) : {}), prev_hash: prev };
      entry.hash = entryHash(prev, entry);
      prev = entry.hash;
      return entry;
    });
    const update = db.prepare(
      "UPDATE audit SET args = @args, caller = @caller, capability = @capability, prev_hash = @prev_hash, hash = @hash WHERE id = @id",
    );
    db.transaction(() => {
      for (const entry of rewritten) update.run(entry);
    })();
    return rewritten;
  } finally {
    db.close();
  }
}

/** Every entry of a device's audit database, in order. */
export function readAudit(dbFile: string): AuditEntry[] {
  const db = new Database(dbFile, { readonly: true });
  try {
    return db.prepare("SELECT * FROM audit ORDER BY id").all() as AuditEntry[];
  } finally {
    db.close();
  }
}
