import { formatAge } from "./age";
import type { HealthStatus, Verdict } from "./types";

export interface AlertSettings {
  flapWindowMs: number;
  /** Alerts one device may raise within the window before it counts as flapping. */
  flapMaxAlerts: number;
  /** Repeat an unchanged non-online state after this long; undefined: never. */
  remindAfterMs?: number;
}

/** What the gate knows of a device before this sweep (the stored record). */
export interface Previous {
  status: HealthStatus;
  since: number;
  alerted_at: number | null;
}

export interface Decision {
  messages: string[];
  /** Operators were told something about the current status now. */
  alerted: boolean;
}

/** How alerts name a status; a broken chain gets a name that says what it is. */
export function statusLabel(status: HealthStatus): string {
  return status === "corrupted" ? "hash_chain_corrupted" : status;
}

export function alertLine(name: string, verdict: Verdict): string {
  return `[ALERT] device_id=${name} status=${statusLabel(verdict.status)} (${verdict.reason})`;
}

export function resolvedLine(name: string, was: HealthStatus, forMs: number): string {
  return `[RESOLVED] device_id=${name} online again (was ${statusLabel(was)} for ${formatAge(forMs)})`;
}

interface Flap {
  /** When alerts were sent, within the window. */
  alerts: number[];
  damped: boolean;
  lastChangeAt: number;
  /** The status operators last heard about. */
  announced: HealthStatus;
  changes: number;
}

/**
 * Turns verdicts into alerts: one per transition, none while unchanged (an optional
 * reminder aside), and a device that keeps changing gets a single "flapping" notice and
 * then silence until it has held one state for the whole window — then one line saying
 * where it settled. Damping lives in memory: after a restart a device starts undamped.
 */
export class AlertGate {
  private readonly flaps = new Map<string, Flap>();

  constructor(private readonly settings: AlertSettings) {}

  decide(name: string, previous: Previous | undefined, next: Verdict, now: number): Decision {
    const fresh = !previous || previous.status === "revoked";
    const changed = fresh ? next.status !== "online" : previous.status !== next.status;
    const flap = this.flaps.get(name);
    if (!changed) return this.unchanged(name, previous, next, now, flap);

    const f: Flap = flap ?? {
      alerts: [],
      damped: false,
      lastChangeAt: now,
      announced: fresh ? "online" : previous.status,
      changes: 0,
    };
    this.flaps.set(name, f);
    f.lastChangeAt = now;
    f.changes++;
    if (f.damped) return { messages: [], alerted: false };
    f.alerts = f.alerts.filter((t) => now - t < this.settings.flapWindowMs);
    if (f.alerts.length >= this.settings.flapMaxAlerts) {
      f.damped = true;
      const window = formatAge(this.settings.flapWindowMs);
      return {
        messages: [
          `[FLAPPING] device_id=${name} changed state ${f.alerts.length + 1} times in ${window}, now ${statusLabel(next.status)} (${next.reason}); no more alerts until it holds steady for ${window}`,
        ],
        alerted: true,
      };
    }
    f.alerts.push(now);
    f.announced = next.status;
    if (next.status === "online")
      return { messages: [resolvedLine(name, previous!.status, now - previous!.since)], alerted: true };
    return { messages: [alertLine(name, next)], alerted: true };
  }

  /** Forgets a device (revoked, or removed). */
  drop(name: string): void {
    this.flaps.delete(name);
  }

  private unchanged(
    name: string,
    previous: Previous | undefined,
    next: Verdict,
    now: number,
    flap: Flap | undefined,
  ): Decision {
    if (flap?.damped) {
      if (now - flap.lastChangeAt < this.settings.flapWindowMs) return { messages: [], alerted: false };
      flap.damped = false;
      flap.alerts = [];
      if (flap.announced === next.status) return { messages: [], alerted: false };
      flap.announced = next.status;
      const settled =
        next.status === "online"
          ? `[RESOLVED] device_id=${name} online again, steady after flapping`
          : `${alertLine(name, next)}, steady after flapping`;
      return { messages: [settled], alerted: true };
    }
    const remind = this.settings.remindAfterMs;
    if (
      remind !== undefined &&
      previous &&
      next.status !== "online" &&
      next.status !== "revoked" &&
      now - (previous.alerted_at ?? previous.since) >= remind
    ) {
      return {
        messages: [
          `[REMINDER] device_id=${name} still ${statusLabel(next.status)} after ${formatAge(now - previous.since)} (${next.reason})`,
        ],
        alerted: true,
      };
    }
    return { messages: [], alerted: false };
  }
}
