import type { Db } from "../state/db";
import type { HealthStatus } from "./types";

/** The states an incident can be in: every unhealthy verdict (never online or revoked). */
export type DownStatus = Extract<HealthStatus, "stale" | "unreachable" | "corrupted">;

export function isDown(status: HealthStatus): status is DownStatus {
  return status === "stale" || status === "unreachable" || status === "corrupted";
}

/**
 * How operators heard of an incident: `alert` (its [ALERT] pushed, at once or late),
 * `flapping` (its push was the [FLAPPING] line), or held back and not pushed:
 * `damped` (the device is flapping) or `silenced` (🔕).
 */
export type PushKind = "alert" | "flapping" | "damped" | "silenced";

export function wasPushed(incident: Incident): boolean {
  return incident.push === "alert" || incident.push === "flapping";
}

/** One outage of one device: from its first unhealthy verdict until it is online again. */
export interface Incident {
  id: number;
  device: string;
  opened_at: number;
  status: DownStatus;
  reason: string;
  first_status: DownStatus;
  first_reason: string;
  /** Changes between unhealthy states while open. */
  changes: number;
  push: PushKind;
  /** When operators were last pushed about it (opened, late push, reminder); null: never. */
  pushed_at: number | null;
  alert_room: string | null;
  /** The message that was pushed (edited on changes; reactions on it act). */
  alert_event: string | null;
  closed_at: number | null;
  closed_by: "online" | "revoked" | null;
}

export interface Silence {
  device: string;
  silenced_until: number;
  silenced_by: string;
  silenced_at: number;
}

/** Incidents and silences in SQLite: a restart keeps what is open, and how it was announced. */
export class IncidentStore {
  constructor(private readonly db: Db) {}

  openFor(device: string): Incident | undefined {
    return this.db
      .prepare("SELECT * FROM health_incidents WHERE device = ? AND closed_at IS NULL")
      .get(device) as Incident | undefined;
  }

  /** Every open incident, oldest first. */
  allOpen(): Incident[] {
    return this.db
      .prepare("SELECT * FROM health_incidents WHERE closed_at IS NULL ORDER BY id")
      .all() as Incident[];
  }

  get(id: number): Incident | undefined {
    return this.db.prepare("SELECT * FROM health_incidents WHERE id = ?").get(id) as Incident | undefined;
  }

  /** The incident whose alert is this event (open or closed). */
  byAlert(roomId: string, eventId: string): Incident | undefined {
    return this.db
      .prepare("SELECT * FROM health_incidents WHERE alert_event = ? AND alert_room = ?")
      .get(eventId, roomId) as Incident | undefined;
  }

  /** The device's incidents opened at or after `since`, oldest first. */
  openedSince(device: string, since: number): Incident[] {
    return this.db
      .prepare("SELECT * FROM health_incidents WHERE device = ? AND opened_at >= ? ORDER BY id")
      .all(device, since) as Incident[];
  }

  open(device: string, status: DownStatus, reason: string, push: PushKind, now: number): Incident {
    const result = this.db
      .prepare(
        `INSERT INTO health_incidents (device, opened_at, status, reason, first_status, first_reason, push)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(device, now, status, reason, status, reason, push);
    return this.get(Number(result.lastInsertRowid))!;
  }

  /** A new unhealthy state (or reason) of an open incident; `changed` counts a state change. */
  update(id: number, status: DownStatus, reason: string, changed: boolean): void {
    this.db
      .prepare("UPDATE health_incidents SET status = ?, reason = ?, changes = changes + ? WHERE id = ?")
      .run(status, reason, changed ? 1 : 0, id);
  }

  /** Operators were pushed about it now; the alert message, when this push was one. */
  markPushed(id: number, push: PushKind, now: number, alert?: { roomId: string; eventId: string }): void {
    this.db
      .prepare(
        `UPDATE health_incidents SET push = ?, pushed_at = ?,
           alert_room = COALESCE(?, alert_room), alert_event = COALESCE(?, alert_event) WHERE id = ?`,
      )
      .run(push, now, alert?.roomId ?? null, alert?.eventId ?? null, id);
  }

  close(id: number, by: "online" | "revoked", now: number): void {
    this.db
      .prepare("UPDATE health_incidents SET closed_at = ?, closed_by = ? WHERE id = ? AND closed_at IS NULL")
      .run(now, by, id);
  }

  silence(device: string, until: number, by: string, now: number): void {
    this.db
      .prepare(
        "INSERT OR REPLACE INTO health_silences (device, silenced_until, silenced_by, silenced_at) VALUES (?, ?, ?, ?)",
      )
      .run(device, until, by, now);
  }

  /** The device's silence while it lasts; undefined once over (or never set). */
  silenceOf(device: string, now: number): Silence | undefined {
    const row = this.db.prepare("SELECT * FROM health_silences WHERE device = ?").get(device) as
      Silence | undefined;
    return row && row.silenced_until > now ? row : undefined;
  }
}
