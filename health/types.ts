import type { Backend } from "../state/devices";

export type HealthStatus = "online" | "stale" | "unreachable" | "corrupted" | "revoked";

/** What the monitor concluded about one device at one sweep. */
export interface Verdict {
  status: HealthStatus;
  /** Short and safe to show: "handshake 8 min ago", "id=47 broken". */
  reason: string;
  /** Longer explanation for `!health <name>`. */
  detail?: string;
}

/** The audit chain as last checked: ok, or the first entry that does not fit. */
export type AuditVerdict = { ok: true; count: number } | { ok: false; firstBrokenId: number; reason: string };

/** One sweep's facts about a device, before judging. */
export interface Observation {
  backend: Backend;
  nowMs: number;
  /** WireGuard only: latest handshake in unix seconds; 0 = never; undefined = no peer at the hub. */
  handshakeS?: number;
  /** WireGuard only: the hub received nothing from the peer since the previous sweep, probes included. */
  tunnelSilent?: boolean;
  probe: { ok: true } | { ok: false; error: string; tries: number };
  /** This sweep's audit check, or the last one when it could not run; undefined = never checked. */
  audit?: AuditVerdict;
}
