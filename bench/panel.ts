import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { chromium } from "playwright-core";
import { AuditMirror } from "../capabilities/wg/audit-mirror";
import { IncidentStore } from "../health/incidents";
import type { HealthRecord } from "../health/store";
import { PanelAuth } from "../panel/auth";
import { panelData } from "../panel/build";
import { Changes, WatchedHealthStore } from "../panel/changes";
import { PanelServer } from "../panel/server";
import { COOKIE } from "../panel/sessions";
import { DeviceAuditStore } from "../state/device-audit";
import { openDatabase } from "../state/db";
import { DeviceStore } from "../state/devices";
import { BOT_MIGRATIONS } from "../state/migrations";
import { summary } from "./stats";

/**
 * npm run bench:panel: the grid's first paint with 200 devices in Debian's Chromium, and the
 * latency from a health verdict written to the row changing in an open page (server-sent
 * events), p50. The panel is the real server over a real SQLite state; no lab needed.
 */
const DEVICES = 200;
const PAINTS = 15;
const UPDATES = 60;
const OPERATOR = "@bench:example.org";

function record(name: string, status: HealthRecord["status"], now: number): HealthRecord {
  return {
    name,
    status,
    reason: status === "online" ? "ok" : "/health: no answer within 2 s",
    detail: null,
    since: now,
    checked_at: now,
    last_handshake: Math.floor(now / 1000) - 30,
    capabilities: 14,
    agent_version: "meshpilot-device-agent 0.1.0 linux-amd64",
    last_call_at: now - 60_000,
    audit_count: 42,
    audit_hash: "ab".repeat(32),
    audit_broken_id: null,
    alerted_at: null,
  };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "meshpilot-bench-panel-"));
  const db = openDatabase(join(dir, "meshpilot.db"), BOT_MIGRATIONS);
  const devices = new DeviceStore(db);
  const changes = new Changes();
  const health = new WatchedHealthStore(db, changes);
  const now = Date.now();
  for (let i = 0; i < DEVICES; i++) {
    const name = `pc${String(i).padStart(3, "0")}`;
    devices.claim(name, i % 4 === 0 ? "ssh" : "wg");
    devices.update(name, {
      status: "live",
      mesh_ip: i % 4 === 0 ? null : `10.42.${Math.floor(i / 250)}.${(i % 250) + 2}`,
      ssh_user: "lucas",
      ssh_host: `192.0.2.${i % 250}`,
      ssh_port: 22,
      room_id: `!room${i}:example.org`,
    });
    health.put(record(name, "online", now));
  }
  const auth = new PanelAuth({ public_url: "http://127.0.0.1", login_ttl_s: 600, session_ttl_s: 43_200 });
  const server = new PanelServer({
    settings: { bind_address: "127.0.0.1", port: 0, session_ttl_s: 43_200 },
    auth,
    operators: new Set([OPERATOR]),
    data: panelData({
      db,
      devices: () => devices.list(),
      health: () => health.all(),
      openIncidents: () => new IncidentStore(db).allOpen(),
      sshAudit: () => {
        throw new Error("not used by the grid");
      },
      wgAudit: new AuditMirror({ store: new DeviceAuditStore(db) }),
    }),
    commands: { find: () => undefined },
    approve: () => false,
    log: pino({ level: "warn" }),
  });
  changes.on(() => server.poke());
  const port = await server.start();
  const base = `http://127.0.0.1:${port}`;
  const { id } = auth.sessions.create(OPERATOR);
  const profile = mkdtempSync(join(tmpdir(), "meshpilot-bench-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
    viewport: { width: 1280, height: 800 },
    // The page's CSP forbids eval; the measuring probes are evaluated strings.
    bypassCSP: true,
  });
  try {
    await context.addCookies([{ name: COOKIE, value: id, url: base, httpOnly: true, sameSite: "Strict" }]);
    const paints: number[] = [];
    const bytes: number[] = [];
    for (let i = 0; i < PAINTS; i++) {
      const page = await context.newPage();
      const response = await page.goto(`${base}/`, { waitUntil: "load" });
      bytes.push((await response!.body()).length);
      const fcp = await page.evaluate(
        `new Promise((resolve) => {
          const find = () => performance.getEntriesByName("first-contentful-paint")[0];
          const hit = find();
          if (hit) return resolve(hit.startTime);
          new PerformanceObserver(() => { const e = find(); if (e) resolve(e.startTime); }).observe({ type: "paint", buffered: true });
        })`,
      );
      paints.push(fcp as number);
      await page.close();
    }

    const page = await context.newPage();
    await page.goto(`${base}/`);
    // The stream is open once the script has read its first summary (it says "live").
    await page.waitForFunction(`document.querySelectorAll("#grid-body tr").length === ${DEVICES}`);
    for (let tries = 0; server.routes.feed.listeners === 0 && tries < 200; tries++)
      await new Promise((r) => setTimeout(r, 25));
    // Let the catch-up burst the stream sends on connect arrive before measuring.
    await page.waitForFunction(`document.getElementById("live-status")?.textContent === "live"`);
    const latencies: number[] = [];
    for (let i = 0; i < UPDATES; i++) {
      const name = `pc${String((i * 7) % DEVICES).padStart(3, "0")}`;
      const current = health.get(name)!;
      const next = current.status === "online" ? "unreachable" : "online";
      const color = next === "online" ? "green" : "yellow";
      const waiting = page.waitForFunction(
        `(() => { const row = document.getElementById("row-${name}"); return row && row.getAttribute("data-color") === "${color}" ? Date.now() : false; })()`,
        undefined,
        { polling: "raf", timeout: 10_000 },
      );
      const at = Date.now();
      health.put(record(name, next, Date.now()));
      const seen = (await (await waiting).jsonValue()) as number;
      latencies.push(seen - at);
    }
    const kib = (bytes.reduce((a, b) => a + b, 0) / bytes.length / 1024).toFixed(0);
    process.stdout.write(
      [
        `panel grid, ${DEVICES} devices (${kib} KiB of HTML), Chromium ${context.browser()?.version() ?? ""}`,
        summary("first contentful paint", paints),
        summary("SSE update latency (verdict written → row changed in the page)", latencies),
        "",
      ].join("\n"),
    );
  } finally {
    await context.close();
    await server.stop();
    db.close();
    rmSync(profile, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exitCode = 1;
});
