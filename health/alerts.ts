import { formatAge, formatDuration } from "./age";
import type { Incident } from "./incidents";
import type { HealthStatus, Verdict } from "./types";

export interface AlertSettings {
  flapWindowMs: number;
  /** Incidents of one device within the window that are pushed before it counts as flapping. */
  flapMaxAlerts: number;
  /** Repeat the push of an incident still open after this long; undefined: never. */
  remindAfterMs?: number;
  /** How long 🔕 silences a device (named in the alert's hint line); health.silence_s, 1 h by default. */
  silenceMs?: number;
}

export const DEFAULT_SILENCE_MS = 3_600_000;

/** How alerts name a status; a broken chain gets a name that says what it is. */
export function statusLabel(status: HealthStatus): string {
  return status === "corrupted" ? "hash_chain_corrupted" : status;
}

/**
 * The first line of every alert: `[ALERT] device_id=<name> status=<label> (<reason>)`, then
 * ` incident #<id>`; readers that match the older form without the id still match.
 */
export function alertLine(name: string, verdict: Verdict, incidentId?: number): string {
  const line = `[ALERT] device_id=${name} status=${statusLabel(verdict.status)} (${verdict.reason})`;
  return incidentId === undefined ? line : `${line} incident #${incidentId}`;
}

export function incidentResolvedLine(name: string, incidentId: number, downMs: number): string {
  return `[RESOLVED] device_id=${name} incident #${incidentId} online again (was down ${formatDuration(downMs)})`;
}

function hint(settings: AlertSettings): string {
  return `react 🔁 to repair, 🔕 to silence for ${formatAge(settings.silenceMs ?? DEFAULT_SILENCE_MS)}`;
}

function current(incident: Incident): Verdict {
  return { status: incident.status, reason: incident.reason };
}

/**
 * The alert message of an incident as it stands: pushed when it opens, edited (no push)
 * when it moves to another unhealthy state, so one outage is one message.
 */
export function alertText(incident: Incident, settings: AlertSettings): string {
  const lines = [alertLine(incident.device, current(incident), incident.id)];
  if (incident.changes > 0)
    lines.push(
      `opened as ${statusLabel(incident.first_status)} (${incident.first_reason}); ${incident.changes} change${incident.changes === 1 ? "" : "s"} since`,
    );
  lines.push(hint(settings));
  return lines.join("\n");
}

/** An incident held back (flapping or silenced) and still open when that ends: pushed late. */
export function latePushText(
  incident: Incident,
  why: "flapping" | "silenced",
  now: number,
  settings: AlertSettings,
): string {
  return [
    alertLine(incident.device, current(incident), incident.id),
    `held back while ${why}; down for ${formatDuration(now - incident.opened_at)}`,
    hint(settings),
  ].join("\n");
}

/** Said once when a device starts flapping: the push of the incident that crossed the line. */
export function flappingText(incident: Incident, count: number, settings: AlertSettings): string {
  const window = formatAge(settings.flapWindowMs);
  return [
    `[FLAPPING] device_id=${incident.device} incident #${incident.id}: ${count} incidents in ${window}, now ${statusLabel(incident.status)} (${incident.reason})`,
    `new incidents of ${incident.device} are recorded, not pushed, until it holds one state for ${window}; each pushed one still gets its [RESOLVED]`,
    hint(settings),
  ].join("\n");
}

export function reminderLine(incident: Incident, now: number): string {
  return `[REMINDER] device_id=${incident.device} incident #${incident.id} still ${statusLabel(incident.status)} after ${formatDuration(now - incident.opened_at)} (${incident.reason})`;
}

/** A plain notice (no push): a pushed incident whose device was revoked while it was down. */
export function revokedCloseLine(incident: Incident, now: number): string {
  return `[CLOSED] device_id=${incident.device} incident #${incident.id}: the device was revoked (down ${formatDuration(now - incident.opened_at)})`;
}
