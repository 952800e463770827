import type { AuditLog } from "../common/audit/log";
import type { WgAuditView } from "../bot/commands/audit";
import type { Incident } from "../health/incidents";
import type { HealthRecord } from "../health/store";
import type { Db } from "../state/db";
import type { Device } from "../state/devices";
import { auditCall, type AuditView, type PanelData } from "./data";
import { pendingApprovalCounts, pendingApprovals, recentIncidents, recentTurns } from "./queries";

export interface PanelDataSources {
  db: Db;
  devices(): Device[];
  health(): Map<string, HealthRecord>;
  openIncidents(): Incident[];
  sshAudit(name: string): AuditLog;
  wgAudit: WgAuditView;
}

/** The panel's view of the bot's state, from the stores the bot already has. */
export function panelData(sources: PanelDataSources): PanelData {
  const { db } = sources;
  return {
    devices: () => sources.devices(),
    health: () => sources.health(),
    openIncidents: () => sources.openIncidents(),
    recentIncidents: (limit) => recentIncidents(db, limit),
    pendingCounts: () => pendingApprovalCounts(db),
    pendingApprovals: (device) => pendingApprovals(db, device),
    recentTurns: (roomId, limit) => recentTurns(db, roomId, limit),
    audit: (device, limit) => auditOf(sources, device, limit),
    roomLink: (device) =>
      device.room_id ? `https://matrix.to/#/${encodeURIComponent(device.room_id)}` : undefined,
  };
}

/** SSH devices: the bot-side log, verified now. WireGuard: the bot's copy as of its last sync, never the device's word. */
function auditOf(sources: PanelDataSources, device: Device, limit: number): AuditView {
  if (device.backend === "ssh") {
    const log = sources.sshAudit(device.name);
    const verify = log.verify();
    return {
      ok: verify.ok,
      summary: verify.ok
        ? `chain ok, ${verify.count} entries`
        : `chain BROKEN at #${verify.firstBrokenId}: ${verify.reason}`,
      calls: log.recentCalls(limit).map(auditCall),
    };
  }
  const view = sources.wgAudit;
  const count = view.head(device.name).count;
  const sync = view.lastSync(device.name);
  const calls = view.recentCalls(device.name, limit).map(auditCall);
  if (!sync) return { ok: undefined, summary: `the bot's copy: ${count} entries, not synced yet`, calls };
  if (sync.ok)
    return {
      ok: true,
      summary: `the bot's copy: ${count} entries; chain ok and matches the calls sent`,
      calls,
    };
  return {
    ok: false,
    summary: `the bot's copy: ${count} entries; BROKEN at #${sync.first_broken_id ?? "?"}: ${sync.reason ?? ""}`,
    calls,
  };
}
