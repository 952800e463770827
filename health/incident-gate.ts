import type { Logger } from "../common/log";
import {
  alertText,
  flappingText,
  incidentResolvedLine,
  latePushText,
  reminderLine,
  revokedCloseLine,
  type AlertSettings,
} from "./alerts";
import {
  isDown,
  wasPushed,
  type DownStatus,
  type Incident,
  type IncidentStore,
  type PushKind,
} from "./incidents";
import type { Verdict } from "./types";

/** An alert message in the control room. */
export interface AlertRef {
  roomId: string;
  eventId: string;
}

/**
 * Where incidents are told (the bot's control room). Only `push` reaches a phone: a new
 * m.text that mentions the operators; edits and notices never push.
 */
export interface AlertRoom {
  /** Resolves to the message, or undefined when there is no room yet. */
  push(text: string, replyTo?: AlertRef): Promise<AlertRef | undefined>;
  edit(alert: AlertRef, text: string): Promise<void>;
  notice(text: string): Promise<void>;
}

/** An AlertRoom for a plain text sink (benches, old callers): no message ids, so no edits of its own. */
export function textSinkRoom(sink: (text: string) => void): AlertRoom {
  return {
    push: (text) => {
      sink(text);
      return Promise.resolve(undefined);
    },
    edit: (_alert, text) => Promise.resolve(sink(text)),
    notice: (text) => Promise.resolve(sink(text)),
  };
}

export interface Posted {
  kind: "push" | "edit" | "notice";
  text: string;
}

export interface IncidentGateDeps {
  store: IncidentStore;
  room: AlertRoom;
  settings: AlertSettings;
  log: Logger;
}

/**
 * Verdicts become incidents (Alertmanager's grouping): the first unhealthy verdict opens
 * one and pushes once; moves between unhealthy states edit that alert; online closes it
 * with one [RESOLVED] push. Flap damping counts incidents, not state changes, and only
 * ever holds back the opening push: an incident that was pushed always gets its
 * [RESOLVED]. Everything lives in SQLite, so a restart carries on where it stopped.
 */
export class IncidentGate {
  constructor(private readonly deps: IncidentGateDeps) {}

  async observe(name: string, verdict: Verdict, now: number): Promise<Posted[]> {
    const open = this.deps.store.openFor(name);
    const { status, reason } = verdict;
    if (!isDown(status)) return open ? this.resolve(open, now) : [];
    if (!open) return this.openIncident(name, status, reason, now);
    return this.carryOn(open, status, reason, now);
  }

  /** A revoked device's open incident is closed; a pushed one gets a plain notice (no push). */
  async revoked(name: string, now: number): Promise<Posted[]> {
    const open = this.deps.store.openFor(name);
    if (!open) return [];
    this.deps.store.close(open.id, "revoked", now);
    if (!wasPushed(open)) return [];
    const text = revokedCloseLine(open, now);
    await this.safely("notice", open, () => this.deps.room.notice(text));
    return [{ kind: "notice", text }];
  }

  private async openIncident(
    name: string,
    status: DownStatus,
    reason: string,
    now: number,
  ): Promise<Posted[]> {
    const { store, settings } = this.deps;
    const recent = store.openedSince(name, now - settings.flapWindowMs + 1);
    let push: PushKind = "alert";
    if (store.silenceOf(name, now)) push = "silenced";
    else if (recent.length >= settings.flapMaxAlerts)
      push = recent.some((i) => i.push === "flapping" || i.push === "damped") ? "damped" : "flapping";
    const incident = store.open(name, status, reason, push, now);
    this.deps.log.info({ device: name, incident: incident.id, status, push }, "incident opened");
    if (push === "alert") return this.pushAlert(incident, "alert", alertText(incident, settings), now);
    if (push === "flapping")
      return this.pushAlert(incident, "flapping", flappingText(incident, recent.length + 1, settings), now);
    return [];
  }

  private async carryOn(open: Incident, status: DownStatus, reason: string, now: number): Promise<Posted[]> {
    const { store, settings } = this.deps;
    const changed = open.status !== status;
    if (changed || open.reason !== reason) store.update(open.id, status, reason, changed);
    const incident = store.get(open.id)!;
    const posted: Posted[] = [];
    const alert = alertOf(incident);
    // Only a change of state edits the alert: a reason that ages every sweep ("handshake 4 min ago") does not.
    if (changed && incident.push === "alert" && alert) {
      const text = alertText(incident, settings);
      await this.safely("edit", incident, () => this.deps.room.edit(alert, text));
      posted.push({ kind: "edit", text });
    }
    const silenced = store.silenceOf(incident.device, now) !== undefined;
    if (silenced) return posted;
    if (incident.push === "silenced") return [...posted, ...(await this.pushLate(incident, "silenced", now))];
    if (incident.push === "damped" && now - incident.opened_at >= settings.flapWindowMs)
      return [...posted, ...(await this.pushLate(incident, "flapping", now))];
    const remind = settings.remindAfterMs;
    if (remind !== undefined && wasPushed(incident) && now - (incident.pushed_at ?? now) >= remind) {
      const text = reminderLine(incident, now);
      await this.safely("reminder", incident, () => this.deps.room.push(text, alert));
      store.markPushed(incident.id, incident.push, now);
      posted.push({ kind: "push", text });
    }
    return posted;
  }

  private async resolve(open: Incident, now: number): Promise<Posted[]> {
    this.deps.store.close(open.id, "online", now);
    this.deps.log.info(
      { device: open.device, incident: open.id, downMs: now - open.opened_at },
      "incident resolved",
    );
    if (!wasPushed(open)) return [];
    const text = incidentResolvedLine(open.device, open.id, now - open.opened_at);
    await this.safely("resolved", open, () => this.deps.room.push(text, alertOf(open)));
    return [{ kind: "push", text }];
  }

  private pushLate(incident: Incident, why: "flapping" | "silenced", now: number): Promise<Posted[]> {
    return this.pushAlert(incident, "alert", latePushText(incident, why, now, this.deps.settings), now);
  }

  /** Recorded as pushed even if sending fails, so its [RESOLVED] is never skipped. */
  private async pushAlert(incident: Incident, kind: PushKind, text: string, now: number): Promise<Posted[]> {
    const ref = await this.safely("alert", incident, () => this.deps.room.push(text));
    this.deps.store.markPushed(incident.id, kind, now, ref ?? undefined);
    return [{ kind: "push", text }];
  }

  private async safely<T>(what: string, incident: Incident, send: () => Promise<T>): Promise<T | undefined> {
    try {
      return await send();
    } catch (error) {
      this.deps.log.error(
        { err: error, device: incident.device, incident: incident.id },
        `could not send the ${what}`,
      );
      return undefined;
    }
  }
}

function alertOf(incident: Incident): AlertRef | undefined {
  return incident.alert_room && incident.alert_event
    ? { roomId: incident.alert_room, eventId: incident.alert_event }
    : undefined;
}
