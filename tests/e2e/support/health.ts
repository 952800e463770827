import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import type { LabFacts } from "../../../lab/facts";
import type { MatrixEvent } from "../../../lab/matrix-client";
import { HealthStore, type HealthRecord } from "../../../health/store";
import { openDatabase } from "../../../state/db";
import { DeviceStore } from "../../../state/devices";
import { BOT_MIGRATIONS } from "../../../state/migrations";

/**
 * The lab's bot config with short health timers and a second operator (the lab's
 * "stranger"), for the health and revoke tests. stale_after_s stays above WireGuard's
 * ~2-minute re-handshake, or a healthy device would read stale.
 */
export function writeHealthConfig(facts: LabFacts, codeTtlS: number): string {
  const config = parse(readFileSync(facts.botConfig, "utf8")) as Record<string, unknown>;
  config.operators = [facts.operator.userId, facts.stranger.userId];
  config.health = {
    interval_s: 3,
    stale_after_s: 170,
    probe_timeout_s: 2,
    probe_retries: 1,
    concurrency: 8,
    flap_window_s: 60,
    flap_max_alerts: 50,
  };
  config.revoke = { code_ttl_s: codeTtlS };
  const path = join(facts.labDir, "meshpilot-health-test.yaml");
  writeFileSync(path, stringify(config));
  return path;
}

export function healthOf(stateDir: string, name: string): HealthRecord | undefined {
  const db = openDatabase(join(stateDir, "meshpilot.db"), BOT_MIGRATIONS);
  try {
    return new HealthStore(db).get(name);
  } finally {
    db.close();
  }
}

export function deviceIp(stateDir: string, name: string): string | null | undefined {
  const db = openDatabase(join(stateDir, "meshpilot.db"), BOT_MIGRATIONS);
  try {
    return new DeviceStore(db).get(name)?.mesh_ip;
  } finally {
    db.close();
  }
}

/** Polls a condition on real state (the bot's database) until it holds. */
export async function waitUntil<T>(what: string, probe: () => T | undefined, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** An alert line in the control room: an m.text from the bot. */
export function alertMatching(facts: LabFacts, roomId: string, pattern: RegExp) {
  return (e: MatrixEvent): boolean =>
    e.room_id === roomId &&
    e.sender === facts.botUserId &&
    e.content.msgtype === "m.text" &&
    typeof e.content.body === "string" &&
    pattern.test(e.content.body);
}
