import type { AuditEntry } from "../common/audit/chain";
import type { Incident } from "../health/incidents";
import type { HealthRecord } from "../health/store";
import type { Device } from "../state/devices";
import type { PendingApproval, TurnSummary } from "./queries";

/** One audited call as the device page lists it. */
export interface AuditCall {
  id: number;
  ts: number;
  capability: string;
  args: string;
  outcome: string;
}

export interface AuditView {
  /** true: the chain verifies (and, for WireGuard, matches the calls sent); false: broken; undefined: not checked yet. */
  ok: boolean | undefined;
  summary: string;
  calls: AuditCall[];
}

/** What the panel reads: the bot's own state, nothing a browser should not see. */
export interface PanelData {
  devices(): Device[];
  health(): Map<string, HealthRecord>;
  openIncidents(): Incident[];
  recentIncidents(limit: number): Incident[];
  pendingCounts(): Map<string, number>;
  pendingApprovals(device: string): PendingApproval[];
  recentTurns(roomId: string, limit: number): TurnSummary[];
  audit(device: Device, limit: number): AuditView;
  /** A matrix.to link to the device's room. */
  roomLink(device: Device): string | undefined;
}

/** Describes an audited call's result in a few words (the same reading as !audit). */
export function auditCall(call: AuditEntry & { result?: AuditEntry }): AuditCall {
  let outcome: string;
  if (call.refusal) outcome = `refused: ${call.refusal}`;
  else if (!call.result) outcome = "no result recorded";
  else if (call.result.error) outcome = call.result.error;
  else outcome = `exit ${call.result.exit_code ?? "?"}, ${call.result.bytes ?? 0} B`;
  return { id: call.id, ts: call.ts, capability: call.capability, args: summariseArgs(call.args), outcome };
}

function summariseArgs(json: string): string {
  try {
    const args = JSON.parse(json) as { argv?: unknown; path?: unknown };
    if (Array.isArray(args.argv)) return args.argv.map(String).join(" ");
    if (typeof args.path === "string") return args.path;
  } catch {
    // the raw text
  }
  return json;
}
