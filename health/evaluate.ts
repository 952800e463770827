import { formatAge } from "./age";
import type { Observation, Verdict } from "./types";

export interface EvaluateSettings {
  staleAfterS: number;
}

/**
 * Judges one device. Order matters: a broken audit chain outranks everything (it is about
 * trust, not reachability); then the tunnel (a WireGuard device is never online when its
 * handshake is missing or older than the threshold); then the probe. A failed probe through
 * a tunnel that stayed silent is the tunnel's fault (stale), through a live one the agent's
 * (unreachable) — so "tunnel down" and "agent stopped" read differently.
 */
export function evaluate(o: Observation, settings: EvaluateSettings): Verdict {
  if (o.audit && !o.audit.ok)
    return {
      status: "corrupted",
      reason: `id=${o.audit.firstBrokenId} broken`,
      detail: `audit chain broken at id ${o.audit.firstBrokenId}: ${o.audit.reason}`,
    };
  if (o.backend === "wg") {
    if (o.handshakeS === undefined)
      return {
        status: "stale",
        reason: "no peer at the hub",
        detail: "the hub has no WireGuard peer for it",
      };
    if (o.handshakeS === 0) return { status: "stale", reason: "never handshook" };
    const ageMs = Math.max(0, o.nowMs - o.handshakeS * 1000);
    if (ageMs > settings.staleAfterS * 1000)
      return { status: "stale", reason: `handshake ${formatAge(ageMs)} ago` };
    if (!o.probe.ok && o.tunnelSilent)
      return {
        status: "stale",
        reason: `handshake ${formatAge(ageMs)} ago, tunnel silent`,
        detail: `nothing came back through the tunnel since the last check; /health: ${o.probe.error}`,
      };
  }
  if (!o.probe.ok) {
    const what = o.backend === "wg" ? "/health" : "ssh";
    return {
      status: "unreachable",
      reason: `${what}: ${o.probe.error}`,
      detail: `${what} failed ${o.probe.tries} time(s): ${o.probe.error}`,
    };
  }
  return { status: "online", reason: "ok" };
}
