import type { Db } from "../state/db";
import type { HealthStatus } from "./types";

export interface HealthRecord {
  name: string;
  status: HealthStatus;
  reason: string;
  detail: string | null;
  /** When the device entered this status (ms). */
  since: number;
  checked_at: number;
  /** Unix seconds; 0 = never; null = unknown or not WireGuard. */
  last_handshake: number | null;
  capabilities: number | null;
  /** The agent build its /health reported last (WireGuard devices). */
  agent_version: string | null;
  last_call_at: number | null;
  /** The audit head the bot last accepted. */
  audit_count: number | null;
  audit_hash: string | null;
  /** Set while the chain is broken; the first id that does not fit. */
  audit_broken_id: number | null;
  /** When operators were last told about this status (alert or reminder). */
  alerted_at: number | null;
}

const COLUMNS = [
  "name",
  "status",
  "reason",
  "detail",
  "since",
  "checked_at",
  "last_handshake",
  "capabilities",
  "agent_version",
  "last_call_at",
  "audit_count",
  "audit_hash",
  "audit_broken_id",
  "alerted_at",
] as const;

/** The monitor's verdicts in SQLite, so a restart neither forgets a state nor repeats its alert. */
export class HealthStore {
  /** The bot's state database (incidents live there too). */
  constructor(readonly db: Db) {}

  get(name: string): HealthRecord | undefined {
    return this.db.prepare("SELECT * FROM device_health WHERE name = ?").get(name) as
      HealthRecord | undefined;
  }

  all(): Map<string, HealthRecord> {
    const rows = this.db.prepare("SELECT * FROM device_health").all() as HealthRecord[];
    return new Map(rows.map((r) => [r.name, r]));
  }

  put(record: HealthRecord): void {
    this.db
      .prepare(
        `INSERT OR REPLACE INTO device_health (${COLUMNS.join(", ")}) VALUES (${COLUMNS.map(() => "?").join(", ")})`,
      )
      .run(...COLUMNS.map((c) => record[c]));
  }

  /** A revoked device: kept in the grid as ⚫, never probed again. */
  markRevoked(name: string, now: number): void {
    const previous = this.get(name);
    this.put({
      ...(previous ?? emptyRecord(name, now)),
      status: "revoked",
      reason: "revoked",
      detail: null,
      since: now,
      checked_at: now,
    });
  }

  /** A device added again after a revoke starts with no history (and no remembered head). */
  forget(name: string): void {
    this.db.prepare("DELETE FROM device_health WHERE name = ?").run(name);
  }
}

export function emptyRecord(name: string, now: number): HealthRecord {
  return {
    name,
    status: "online",
    reason: "",
    detail: null,
    since: now,
    checked_at: now,
    last_handshake: null,
    capabilities: null,
    agent_version: null,
    last_call_at: null,
    audit_count: null,
    audit_hash: null,
    audit_broken_id: null,
    alerted_at: null,
  };
}
