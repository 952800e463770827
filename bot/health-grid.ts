import { formatAge, formatClock } from "../health/age";
import type { Incident, Silence } from "../health/incidents";
import type { HealthRecord } from "../health/store";
import type { HealthStatus } from "../health/types";
import type { Device } from "../state/devices";
import { GRID_WIDTH, wrapGrid } from "./grid";

export const STATUS_EMOJI: Readonly<Record<HealthStatus, string>> = {
  online: "🟢",
  stale: "🟡",
  unreachable: "🔴",
  corrupted: "🔴",
  revoked: "⚫",
};
const UNCHECKED = "⚪";

/**
 * Emoji are two columns wide on a phone but may be one UTF-16 unit (⚫), so lines are
 * wrapped one column short of the grid width: every line then fits in 40 columns.
 */
const WIDTH = GRID_WIDTH - 1;

export interface GridEntry {
  device: Device;
  health: HealthRecord | undefined;
}

/** `!health`: four short lines per device, status first, for a 40-column <pre> block. */
export function healthGrid(entries: readonly GridEntry[], now: number): string {
  const counts = new Map<string, number>();
  for (const { device, health } of entries) {
    const emoji =
      device.status === "revoked" ? STATUS_EMOJI.revoked : health ? STATUS_EMOJI[health.status] : UNCHECKED;
    counts.set(emoji, (counts.get(emoji) ?? 0) + 1);
  }
  const summary = [...counts].map(([emoji, n]) => `${emoji}${n}`).join(" ");
  const lines = [
    `health: ${entries.length} device${entries.length === 1 ? "" : "s"}${summary ? ` ${summary}` : ""}`,
  ];
  if (entries.length === 0) lines.push("(no devices — see !help add-pc)");
  for (const entry of entries) lines.push("", ...deviceLines(entry, now));
  return wrapGrid(lines, WIDTH, "   ").join("\n");
}

function deviceLines({ device, health }: GridEntry, now: number): string[] {
  const where = device.backend === "wg" ? (device.mesh_ip ?? "no IP") : (device.ssh_host ?? "");
  if (device.status === "provisioning")
    return [`${UNCHECKED} ${device.name} ${device.backend} ${where}`, "   being added"];
  if (!health) return [`${UNCHECKED} ${device.name} ${device.backend} ${where}`, "   not checked yet"];
  const status =
    health.status === "online"
      ? `online ${formatAge(now - health.since)}`
      : `${health.status} ${formatAge(now - health.since)}: ${health.reason}`;
  // A reason that already gives the handshake ("handshake 8 min ago") is not repeated.
  const handshake =
    device.backend !== "wg" || health.last_handshake === null || health.reason.includes("handshake")
      ? ""
      : health.last_handshake === 0
        ? ", hs never"
        : `, hs ${formatAge(now - health.last_handshake * 1000)} ago`;
  const caps = health.capabilities === null ? "? caps" : `${health.capabilities} caps`;
  const lastCall =
    health.last_call_at === null ? "no cmd yet" : `last cmd ${formatAge(now - health.last_call_at)} ago`;
  return [
    `${STATUS_EMOJI[health.status]} ${device.name} ${device.backend} ${where}`,
    `   ${health.status === "revoked" ? `revoked ${formatAge(now - health.since)} ago` : status}${health.status === "revoked" ? "" : handshake}`,
    `   ${caps}, ${lastCall}`,
    `   ${auditText(health)}`,
  ];
}

function auditText(health: HealthRecord): string {
  if (health.audit_broken_id !== null) return `audit BROKEN at id ${health.audit_broken_id}`;
  if (health.audit_count === null) return "audit not checked";
  return `audit ok, ${health.audit_count} rows`;
}

/** `!health <name>`: one device in detail. */
export function healthDetail(device: Device, health: HealthRecord | undefined, now: number): string {
  const lines = [
    `${health ? STATUS_EMOJI[health.status] : UNCHECKED} ${device.name} (${device.backend === "wg" ? "WireGuard" : "SSH-only"})`,
  ];
  lines.push(`device: ${device.status}`);
  if (device.mesh_ip) lines.push(`mesh IP: ${device.mesh_ip}`);
  if (device.ssh_host)
    lines.push(`ssh: ${device.ssh_user ?? "?"}@${device.ssh_host}:${device.ssh_port ?? 22}`);
  if (device.os_pretty) lines.push(`os: ${device.os_pretty}${device.arch ? ` ${device.arch}` : ""}`);
  if (!health) {
    lines.push("not checked yet");
    return wrapGrid(lines, WIDTH, "   ").join("\n");
  }
  lines.push(`status: ${health.status} for ${formatAge(now - health.since)}`);
  lines.push(`reason: ${health.reason}`);
  if (health.detail) lines.push(`detail: ${health.detail}`);
  if (health.last_handshake !== null)
    lines.push(
      `handshake: ${health.last_handshake === 0 ? "never" : `${formatAge(now - health.last_handshake * 1000)} ago`}`,
    );
  lines.push(`checked: ${formatAge(now - health.checked_at)} ago`);
  if (health.capabilities !== null) lines.push(`capabilities: ${health.capabilities}`);
  lines.push(
    `last command: ${health.last_call_at === null ? "none" : `${formatAge(now - health.last_call_at)} ago`}`,
  );
  lines.push(auditText(health));
  if (health.audit_hash) lines.push(`audit head: ${health.audit_hash.slice(0, 16)}…`);
  return wrapGrid(lines, WIDTH, "   ").join("\n");
}

const HELD: Readonly<Record<Incident["push"], string>> = {
  alert: "pushed",
  flapping: "pushed ([FLAPPING])",
  damped: "not pushed (flapping)",
  silenced: "not pushed (silenced)",
};

/** Under the `!health` grid: every open incident, oldest first, 🔕 when its device is silenced. */
export function incidentList(
  incidents: readonly Incident[],
  silence: (device: string) => Silence | undefined,
  now: number,
): string {
  const lines = [`open incidents: ${incidents.length === 0 ? "none" : incidents.length}`];
  for (const i of incidents)
    lines.push(
      `#${i.id} ${STATUS_EMOJI[i.status]} ${i.device} ${i.status} for ${formatAge(now - i.opened_at)}${silence(i.device) ? " 🔕" : ""}`,
    );
  return wrapGrid(lines, WIDTH, "   ").join("\n");
}

/** Under `!health <name>`: the device's open incident and silence, if any. */
export function incidentDetail(
  incident: Incident | undefined,
  silence: Silence | undefined,
  now: number,
): string {
  const lines: string[] = [];
  if (!incident) lines.push("incident: none open");
  else {
    lines.push(`incident #${incident.id}: ${incident.status} for ${formatAge(now - incident.opened_at)}`);
    if (incident.changes > 0)
      lines.push(
        `   opened as ${incident.first_status}, ${incident.changes} change${incident.changes === 1 ? "" : "s"}`,
      );
    lines.push(`   ${HELD[incident.push]}`);
  }
  if (silence) lines.push(`silenced until ${formatClock(silence.silenced_until)}`);
  return wrapGrid(lines, WIDTH, "   ").join("\n");
}
