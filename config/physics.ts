import type { z } from "zod";

/**
 * Health settings that WireGuard or arithmetic contradicts, refused at load time. A healthy
 * peer re-handshakes only when it sends data more than REKEY_AFTER_TIME (120 s) after the
 * last handshake, and data flows at least every keepalive (or every probe, when keepalive
 * is off), plus REKEY_TIMEOUT (5 s) for the handshake itself: a stale threshold below that
 * calls a healthy device stale.
 */
const REKEY_AFTER_TIME_S = 120;
const REKEY_TIMEOUT_S = 5;

interface PhysicsInput {
  health: { interval_s: number; stale_after_s: number; probe_timeout_s: number };
  /** mesh.persistent_keepalive_s, or its schema default when there is no mesh block. */
  keepaliveS: number;
}

/** The smallest stale_after_s a healthy device can never cross. */
export function minimumStaleAfterS(intervalS: number, keepaliveS: number): number {
  const trafficEvery = keepaliveS > 0 ? Math.min(keepaliveS, intervalS) : intervalS;
  return REKEY_AFTER_TIME_S + trafficEvery + REKEY_TIMEOUT_S;
}

export function checkHealthPhysics(config: PhysicsInput, ctx: z.RefinementCtx): void {
  const { interval_s: interval, stale_after_s: stale, probe_timeout_s: timeout } = config.health;
  const minimum = minimumStaleAfterS(interval, config.keepaliveS);
  if (stale < minimum) {
    ctx.addIssue({
      code: "custom",
      path: ["health", "stale_after_s"],
      message:
        `${stale} s is below what WireGuard can promise: a healthy device re-handshakes only every ` +
        `${REKEY_AFTER_TIME_S} s once data flows (here at least every ${minimum - REKEY_AFTER_TIME_S - REKEY_TIMEOUT_S} s), ` +
        `so it would read stale; use ${minimum} or more (180 is the default)`,
    });
  }
  if (interval >= stale) {
    ctx.addIssue({
      code: "custom",
      path: ["health", "interval_s"],
      message: `${interval} s is not below stale_after_s (${stale} s): a device could go stale between two checks unseen; use less than ${stale}`,
    });
  }
  if (timeout >= interval) {
    ctx.addIssue({
      code: "custom",
      path: ["health", "probe_timeout_s"],
      message: `${timeout} s is not below interval_s (${interval} s): one sweep's probes would outlast the sweep; use less than ${interval}`,
    });
  }
}
