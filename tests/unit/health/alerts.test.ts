import { AlertGate, type Previous } from "../../../health/alerts";
import type { HealthStatus, Verdict } from "../../../health/types";

const MIN = 60_000;
const settings = { flapWindowMs: 15 * MIN, flapMaxAlerts: 3 };
const v = (status: HealthStatus, reason = "ok"): Verdict => ({ status, reason });

/** Feeds a sequence of verdicts through the gate the way the monitor does, keeping the "stored" record. */
function run(gate: AlertGate, steps: Array<[number, Verdict]>): string[] {
  let prev: Previous | undefined;
  const out: string[] = [];
  for (const [at, verdict] of steps) {
    const d = gate.decide("pc1", prev, verdict, at);
    out.push(...d.messages);
    prev = {
      status: verdict.status,
      since: prev && prev.status === verdict.status ? prev.since : at,
      alerted_at: d.alerted ? at : prev && prev.status === verdict.status ? prev.alerted_at : null,
    };
  }
  return out;
}

describe("alerts", () => {
  test("transitions only: stale, no repeats while unchanged, then resolved with how long it was stale", () => {
    const out = run(new AlertGate(settings), [
      [0, v("online")],
      [1 * MIN, v("online")],
      [2 * MIN, v("stale", "handshake 8 min ago")],
      [3 * MIN, v("stale", "handshake 9 min ago")],
      [4 * MIN, v("stale", "handshake 10 min ago")],
      [14 * MIN, v("online")],
    ]);
    expect(out).toEqual([
      "[ALERT] device_id=pc1 status=stale (handshake 8 min ago)",
      "[RESOLVED] device_id=pc1 online again (was stale for 12 min)",
    ]);
  });

  test("a corrupted chain is named hash_chain_corrupted; a device first seen healthy says nothing", () => {
    const out = run(new AlertGate(settings), [
      [0, v("online")],
      [MIN, v("corrupted", "id=47 broken")],
    ]);
    expect(out).toEqual(["[ALERT] device_id=pc1 status=hash_chain_corrupted (id=47 broken)"]);
  });

  test("a quiet, healthy period: zero alerts", () => {
    const steps: Array<[number, Verdict]> = Array.from({ length: 100 }, (_, i) => [i * MIN, v("online")]);
    expect(run(new AlertGate(settings), steps)).toEqual([]);
  });

  test("a reminder after remind_after, once per period", () => {
    const out = run(new AlertGate({ ...settings, remindAfterMs: 30 * MIN }), [
      [0, v("online")],
      [MIN, v("unreachable", "/health: connection refused")],
      [20 * MIN, v("unreachable", "/health: connection refused")],
      [31 * MIN, v("unreachable", "/health: connection refused")],
      [40 * MIN, v("unreachable", "/health: connection refused")],
      [62 * MIN, v("unreachable", "/health: connection refused")],
    ]);
    expect(out).toEqual([
      "[ALERT] device_id=pc1 status=unreachable (/health: connection refused)",
      "[REMINDER] device_id=pc1 still unreachable after 30 min (/health: connection refused)",
      "[REMINDER] device_id=pc1 still unreachable after 61 min (/health: connection refused)",
    ]);
  });

  test("a flapping device: three alerts, one FLAPPING notice, silence, then one line when it settles", () => {
    const steps: Array<[number, Verdict]> = [[0, v("online")]];
    for (let i = 1; i <= 20; i++)
      steps.push([i * MIN, i % 2 ? v("stale", "handshake 4 min ago") : v("online")]);
    // Settles online at minute 20 and holds for a whole window.
    for (let i = 21; i <= 40; i++) steps.push([i * MIN, v("online")]);
    const out = run(new AlertGate(settings), steps);
    expect(out).toHaveLength(5);
    expect(out[3]).toMatch(/^\[FLAPPING\] device_id=pc1 changed state 4 times in 15 min/);
    expect(out[4]).toBe("[RESOLVED] device_id=pc1 online again, steady after flapping");
  });
});
