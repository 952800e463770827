import type { SqlDatabase } from "../sql";
import {
  AUDIT_ENTRY_COLUMNS,
  GENESIS_HASH,
  canonicalJson,
  checkAgainstRemembered,
  entryHash,
  verifyEntries,
  type AuditEntry,
  type AuditFields,
  type ChainHead,
  type VerifyResult,
} from "./chain";

export interface CallIntent {
  capability: string;
  args: unknown;
  caller: string;
  /** The caller's reference for this call (see AuditFields.ref); omitted or null when there is none. */
  ref?: string | null;
}

export interface CallOutcome {
  exitCode: number | null;
  bytes: number;
  durationMs: number;
  error?: string;
}

/** Columns of the audit table; the same on the device agent and the bot. */
export const AUDIT_SCHEMA = `
  CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('call', 'result')),
    call_id INTEGER NOT NULL,
    ts INTEGER NOT NULL,
    capability TEXT NOT NULL,
    args TEXT NOT NULL,
    caller TEXT NOT NULL,
    exit_code INTEGER,
    bytes INTEGER,
    duration_ms INTEGER,
    refusal TEXT,
    error TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    ref TEXT
  );
`;

const COLUMNS = AUDIT_ENTRY_COLUMNS.join(", ");

/** Databases created before `ref` existed get the column (null in old rows, which hash as before). */
function addRefColumn(db: SqlDatabase): void {
  const columns = db.prepare("PRAGMA table_info(audit)").all() as Array<{ name: string }>;
  if (!columns.some((column) => column.name === "ref")) db.exec("ALTER TABLE audit ADD COLUMN ref TEXT");
}

/**
 * An append-only, hash-chained audit log in SQLite. `recordCall` is called before a
 * command runs and throws if the entry cannot be written — callers must not run anything
 * then. Appends are serialised by SQLite transactions, so concurrent calls still chain.
 */
export class AuditLog {
  private readonly insert;
  private readonly last;

  constructor(
    private readonly db: SqlDatabase,
    private readonly now: () => number = Date.now,
  ) {
    db.exec(AUDIT_SCHEMA);
    addRefColumn(db);
    this.insert = db.prepare(
      `INSERT INTO audit (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.last = db.prepare("SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1");
  }

  /** Writes the call entry; returns its id. A refusal is recorded the same way, with its reason. */
  recordCall(intent: CallIntent, refusal: string | null = null): number {
    return this.append({
      kind: "call",
      call_id: 0,
      capability: intent.capability,
      args: canonicalJson(intent.args ?? {}),
      caller: intent.caller,
      exit_code: null,
      bytes: null,
      duration_ms: null,
      refusal,
      error: null,
      ref: intent.ref ?? null,
    });
  }

  /** Writes the result of an earlier call, with the same `ref` as its call entry. */
  recordResult(
    callId: number,
    capability: string,
    caller: string,
    outcome: CallOutcome,
    ref: string | null = null,
  ): number {
    return this.append({
      kind: "result",
      call_id: callId,
      capability,
      args: "{}",
      caller,
      exit_code: outcome.exitCode,
      bytes: outcome.bytes,
      duration_ms: Math.round(outcome.durationMs),
      refusal: null,
      error: outcome.error ?? null,
      ref,
    });
  }

  head(): ChainHead {
    const row = this.last.get() as { id: number; hash: string } | undefined;
    return row ? { count: row.id, hash: row.hash } : { count: 0, hash: GENESIS_HASH };
  }

  /** Verifies the whole chain, and against a head remembered from an earlier look when given. */
  verify(remembered?: ChainHead): VerifyResult {
    const result = verifyEntries(this.iterate());
    const hashAt = this.db.prepare("SELECT hash FROM audit WHERE id = ?");
    return checkAgainstRemembered(
      remembered,
      result,
      (id) => (hashAt.get(id) as { hash: string } | undefined)?.hash,
    );
  }

  entries(afterId: number, limit: number): AuditEntry[] {
    return this.db
      .prepare(`SELECT ${COLUMNS} FROM audit WHERE id > ? ORDER BY id LIMIT ?`)
      .all(afterId, Math.max(1, Math.min(limit, 1000))) as AuditEntry[];
  }

  /** The last n calls with their results, newest first (for `!audit`). */
  recentCalls(n: number): Array<AuditEntry & { result?: AuditEntry }> {
    const calls = this.db
      .prepare(`SELECT ${COLUMNS} FROM audit WHERE kind = 'call' ORDER BY id DESC LIMIT ?`)
      .all(n) as AuditEntry[];
    const resultFor = this.db.prepare(`SELECT ${COLUMNS} FROM audit WHERE kind = 'result' AND call_id = ?`);
    return calls.map((call) => {
      const result = resultFor.get(call.id) as AuditEntry | undefined;
      return result ? { ...call, result } : call;
    });
  }

  private *iterate(): Generator<AuditEntry> {
    const page = this.db.prepare(`SELECT ${COLUMNS} FROM audit WHERE id > ? ORDER BY id LIMIT 5000`);
    let after = 0;
    for (;;) {
      const rows = page.all(after) as AuditEntry[];
      if (rows.length === 0) return;
      yield* rows;
      after = rows[rows.length - 1]!.id;
    }
  }

  private append(partial: Omit<AuditFields, "id" | "ts">): number {
    return this.db.transaction(() => {
      const head = this.head();
      const id = head.count + 1;
      const fields: AuditFields = {
        ...partial,
        id,
        ts: this.now(),
        call_id: partial.kind === "call" ? id : partial.call_id,
      };
      const hash = entryHash(head.hash, fields);
      this.insert.run(
        fields.id,
        fields.kind,
        fields.call_id,
        fields.ts,
        fields.capability,
        fields.args,
        fields.caller,
        fields.exit_code,
        fields.bytes,
        fields.duration_ms,
        fields.refusal,
        fields.error,
        head.hash,
        hash,
        fields.ref ?? null,
      );
      return id;
    })();
  }
}
