import { AuditMirror } from "../capabilities/wg/audit-mirror";
import { DeviceAuditStore } from "../state/device-audit";
import { spawn } from "node:child_process";
import { join } from "node:path";
import pino from "pino";
import { HealthMonitor, type PeerStats } from "../health/monitor";
import { HealthStore } from "../health/store";
import { Hub } from "../provisioning/wg/hub";
import { LocalShell } from "../provisioning/wg/shell";
import { openDatabase } from "../state/db";
import { DeviceStore } from "../state/devices";
import { BOT_MIGRATIONS } from "../state/migrations";

/**
 * npm run bench:health (inside the hub namespace): one sweep over 200 simulated WireGuard
 * devices — signed /health, /audit/verify against the remembered head, the hub's real
 * `wg show dump` — and the time to detect a tunnel whose handshakes stopped, with
 * shortened timers (detection is bounded by stale_after_s + interval_s, so it scales).
 */
const DEVICES = 200;
const BASE_PORT = 21000;
const SECRET = "b".repeat(64);

async function main(): Promise<void> {
  const agents = spawn(
    process.execPath,
    [join(__dirname, "health-agents.js"), SECRET, String(BASE_PORT), String(DEVICES)],
    {
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  await new Promise<void>((resolve) =>
    agents.stdout.on("data", (d: Buffer) => d.toString().includes("ready") && resolve()),
  );
  try {
    const db = openDatabase(":memory:", BOT_MIGRATIONS);
    const devices = new DeviceStore(db);
    const names = Array.from({ length: DEVICES }, (_, i) => `sim-${String(i).padStart(3, "0")}`);
    for (const name of names) {
      devices.claim(name, "wg");
      devices.update(name, { status: "live", mesh_ip: "127.0.0.1" });
    }
    const hub = new Hub(new LocalShell(), { interface: "mesh0", configFile: "/dev/null", keepaliveS: 25 });
    let frozen: { name: string; at: number } | undefined;
    const peerStats = async (): Promise<Map<string, PeerStats>> => {
      const real = await hub.peerStats(); // the real hub read, each sweep
      const now = Math.floor(Date.now() / 1000);
      for (const name of names)
        real.set(`key-${name}`, { handshake: frozen?.name === name ? frozen.at : now - 5, rx: Date.now() });
      return real;
    };
    const alerts: Array<{ at: number; text: string }> = [];
    const monitorFor = (staleAfterS: number, intervalMs: number) =>
      new HealthMonitor({
        devices,
        store: new HealthStore(db),
        wgAudit: new AuditMirror({ store: new DeviceAuditStore(db) }),
        settings: {
          intervalMs,
          staleAfterS,
          probe: { timeoutMs: 5000, retries: 2 },
          concurrency: 32,
          alerts: { flapWindowMs: 900_000, flapMaxAlerts: 4 },
        },
        peerStats,
        wgPublicKey: (name) => `key-${name}`,
        agentUrl: (d) => `http://127.0.0.1:${BASE_PORT + names.indexOf(d.name)}`,
        agentSecret: () => SECRET,
        sshProbe: () => Promise.resolve(),
        sshAudit: () => ({ verify: () => ({ ok: true, count: 0, head: "" }), lastCallAt: () => null }),
        alert: (text) => alerts.push({ at: Date.now(), text }),
        log: pino({ level: "silent" }),
      });
    const monitor = monitorFor(180, 60_000);
    const sweeps: number[] = [];
    for (let i = 0; i < 3; i++) {
      const started = performance.now();
      const results = await monitor.sweep();
      sweeps.push(performance.now() - started);
      const online = results.filter((r) => r.verdict.status === "online").length;
      if (online !== DEVICES) throw new Error(`only ${online}/${DEVICES} online`);
    }
    console.log(
      `sweep over ${DEVICES} devices (signed /health, the bot syncing its copy of each 50-entry chain, /audit/verify; concurrency 32):`,
    );
    console.log(
      `  first ${(sweeps[0]! / 1000).toFixed(2)} s, then ${(sweeps[1]! / 1000).toFixed(2)} s, ${(sweeps[2]! / 1000).toFixed(2)} s (goal ≤ 5 s)`,
    );

    // Detection: sim-000's handshakes stop now; shortened timers, 200 devices still swept.
    for (const [staleAfterS, intervalS] of [
      [5, 1],
      [10, 2],
    ] as const) {
      const m = monitorFor(staleAfterS, intervalS * 1000);
      await m.sweep();
      alerts.length = 0;
      frozen = { name: names[0]!, at: Math.floor(Date.now() / 1000) };
      const stoppedAt = Date.now();
      m.start();
      while (!alerts.some((a) => a.text.includes(`device_id=${names[0]} status=stale`)))
        await new Promise((r) => setTimeout(r, 50));
      await m.stop();
      const detected = (alerts.find((a) => a.text.includes("status=stale"))!.at - stoppedAt) / 1000;
      console.log(
        `detection, stale_after_s ${staleAfterS} + interval_s ${intervalS}: ${detected.toFixed(1)} s after the last handshake (bound ${staleAfterS + intervalS} s)`,
      );
      frozen = undefined;
      await m.sweep();
    }
    console.log(
      "with defaults (stale_after_s 180, interval_s 60): bound 240 s after the last handshake = 4 min",
    );
  } finally {
    agents.kill();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
