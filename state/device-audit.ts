import { AUDIT_ENTRY_COLUMNS, type AuditEntry } from "../common/audit/chain";
import type { Db } from "./db";

/** An entry of a device's chain as the bot holds it: every hashed field, and its ref. */
export type HeldEntry = AuditEntry & { ref: string | null };

export type CallReplyKind = "done" | "refused" | "unknown";

/** A call the bot sent to a device, recorded before it was sent. */
export interface SentCall {
  device: string;
  ref: string;
  capability: string;
  /** Canonical JSON of the arguments in the form the device records them (see audit-mirror.ts). */
  args: string;
  /** The caller as the device records it ("@op:hs (approved by @other:hs)" when approved). */
  caller: string;
  sent_at: number;
  /** null while in flight. */
  reply: CallReplyKind | null;
  replied_at: number | null;
  /** From a done reply, to compare with the device's result entry. */
  exit_code: number | null;
  bytes: number | null;
  /** 1 once its entries were found as its reply requires; later copies are caught as duplicates. */
  settled: number;
}

export interface SyncRecord {
  device: string;
  synced_at: number;
  ok: number;
  first_broken_id: number | null;
  reason: string | null;
}

const ENTRY_COLUMNS = AUDIT_ENTRY_COLUMNS;

/** The SQL behind the audit mirror: the bot's copy of each device's chain and the calls it sent. */
export class DeviceAuditStore {
  constructor(private readonly db: Db) {}

  last(device: string): HeldEntry | undefined {
    return this.db
      .prepare(
        `SELECT ${ENTRY_COLUMNS.join(", ")} FROM device_audit WHERE device = ? ORDER BY id DESC LIMIT 1`,
      )
      .get(device) as HeldEntry | undefined;
  }

  hashAt(device: string, id: number): string | undefined {
    return (
      this.db.prepare("SELECT hash FROM device_audit WHERE device = ? AND id = ?").get(device, id) as
        { hash: string } | undefined
    )?.hash;
  }

  entriesWithRef(device: string, ref: string): HeldEntry[] {
    return this.db
      .prepare(
        `SELECT ${ENTRY_COLUMNS.join(", ")} FROM device_audit WHERE device = ? AND ref = ? ORDER BY id`,
      )
      .all(device, ref) as HeldEntry[];
  }

  /** Appends verified entries in one transaction. */
  append(device: string, entries: readonly HeldEntry[]): void {
    const insert = this.db.prepare(
      `INSERT INTO device_audit (device, ${ENTRY_COLUMNS.join(", ")}) VALUES (?, ${ENTRY_COLUMNS.map(() => "?").join(", ")})`,
    );
    this.db.transaction(() => {
      for (const entry of entries) insert.run(device, ...ENTRY_COLUMNS.map((c) => entry[c]));
    })();
  }

  /** The last n calls with their results, newest first (for `!audit`). */
  recentCalls(device: string, n: number): Array<HeldEntry & { result?: HeldEntry }> {
    const columns = ENTRY_COLUMNS.join(", ");
    const calls = this.db
      .prepare(
        `SELECT ${columns} FROM device_audit WHERE device = ? AND kind = 'call' ORDER BY id DESC LIMIT ?`,
      )
      .all(device, n) as HeldEntry[];
    const resultFor = this.db.prepare(
      `SELECT ${columns} FROM device_audit WHERE device = ? AND kind = 'result' AND call_id = ?`,
    );
    return calls.map((call) => {
      const result = resultFor.get(device, call.id) as HeldEntry | undefined;
      return result ? { ...call, result } : call;
    });
  }

  lastCallAt(device: string): number | null {
    const row = this.db.prepare("SELECT max(ts) AS ts FROM device_audit WHERE device = ?").get(device) as {
      ts: number | null;
    };
    return row.ts;
  }

  recordSent(call: Omit<SentCall, "reply" | "replied_at" | "exit_code" | "bytes" | "settled">): void {
    this.db
      .prepare(
        "INSERT INTO device_calls_sent (device, ref, capability, args, caller, sent_at) VALUES (?, ?, ?, ?, ?, ?)",
      )
      .run(call.device, call.ref, call.capability, call.args, call.caller, call.sent_at);
  }

  recordReply(
    device: string,
    ref: string,
    reply: CallReplyKind,
    at: number,
    result?: { exitCode: number | null; bytes: number | null },
  ): void {
    this.db
      .prepare(
        "UPDATE device_calls_sent SET reply = ?, replied_at = ?, exit_code = ?, bytes = ? WHERE device = ? AND ref = ?",
      )
      .run(reply, at, result?.exitCode ?? null, result?.bytes ?? null, device, ref);
  }

  sent(device: string, ref: string): SentCall | undefined {
    return this.db
      .prepare("SELECT * FROM device_calls_sent WHERE device = ? AND ref = ?")
      .get(device, ref) as SentCall | undefined;
  }

  sentCount(device: string): number {
    return (
      this.db.prepare("SELECT count(*) AS n FROM device_calls_sent WHERE device = ?").get(device) as {
        n: number;
      }
    ).n;
  }

  /** Calls answered done or refused whose entries have not yet been found. */
  answeredUnsettled(device: string): SentCall[] {
    return this.db
      .prepare(
        "SELECT * FROM device_calls_sent WHERE device = ? AND settled = 0 AND reply IN ('done', 'refused') ORDER BY sent_at",
      )
      .all(device) as SentCall[];
  }

  settle(device: string, refs: readonly string[]): void {
    const update = this.db.prepare("UPDATE device_calls_sent SET settled = 1 WHERE device = ? AND ref = ?");
    this.db.transaction(() => {
      for (const ref of refs) update.run(device, ref);
    })();
  }

  /** Calls left in flight by an earlier run of the bot: their replies were lost. */
  abandonInFlight(): number {
    return this.db.prepare("UPDATE device_calls_sent SET reply = 'unknown' WHERE reply IS NULL").run()
      .changes;
  }

  recordSync(record: SyncRecord): void {
    this.db
      .prepare(
        `INSERT INTO device_audit_sync (device, synced_at, ok, first_broken_id, reason) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (device) DO UPDATE SET synced_at = excluded.synced_at, ok = excluded.ok,
           first_broken_id = excluded.first_broken_id, reason = excluded.reason`,
      )
      .run(record.device, record.synced_at, record.ok, record.first_broken_id, record.reason);
  }

  lastSync(device: string): SyncRecord | undefined {
    return this.db.prepare("SELECT * FROM device_audit_sync WHERE device = ?").get(device) as
      SyncRecord | undefined;
  }

  /**
   * A revoked device's copy is kept as evidence under `name#revoked-<ms>`, so the name can
   * be added again with a fresh chain.
   */
  retire(device: string, at: number): void {
    const renamed = `${device}#revoked-${at}`;
    this.db.transaction(() => {
      for (const table of ["device_audit", "device_calls_sent", "device_audit_sync"])
        this.db.prepare(`UPDATE ${table} SET device = ? WHERE device = ?`).run(renamed, device);
    })();
  }
}
