import { spawn, spawnSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { AuditLog } from "../common/audit/log";
import { agentRequest } from "../capabilities/wg/agent-http";
import { readManifestTemplate, renderManifest } from "../device-agent/manifest/render";
import { openNodeAuditDb } from "../device-agent/node-db";
import { freePort, waitForHealth } from "./local-agent";
import { summary } from "./stats";

/**
 * npm run bench:agent — the device agent's figures:
 * 1. signed GET /health round trip to the built linux-amd64 executable on loopback;
 * 2. durable audit appends per second (the agent's pragmas, WAL + synchronous=FULL, on a
 *    file in the temp dir; measured through better-sqlite3 — the same SQLite engine that
 *    bun:sqlite embeds);
 * 3. verifying a 100,000-row chain;
 * 4. the size of each executable, and gzipped.
 */
const REPO = join(__dirname, "..", "..");
const AGENT_DIR = join(REPO, "dist", "agent");
const SECRET = "bench-secret-0123456789abcdef0123456789abcdef";

async function main(): Promise<void> {
  if (!existsSync(join(AGENT_DIR, "device-agent-linux-amd64"))) {
    spawnSync("bash", ["scripts/build-agent.sh"], { cwd: REPO, stdio: "inherit" });
  }
  const dir = mkdtempSync(join(tmpdir(), "meshpilot-bench-agent-"));
  try {
    await roundTrip(dir);
    appends(dir);
    verify100k(dir);
    sizes();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function roundTrip(dir: string): Promise<void> {
  const port = await freePort();
  writeFileSync(join(dir, "secret"), SECRET);
  chmodSync(join(dir, "secret"), 0o600);
  writeFileSync(
    join(dir, "manifest.yaml"),
    renderManifest(readManifestTemplate("linux"), { user: "bench" }).text,
  );
  writeFileSync(
    join(dir, "agent.yaml"),
    `listen: { address: 127.0.0.1, port: ${port} }\nsecret_file: secret\nmanifest: manifest.yaml\naudit_db: rt-audit.db\nlog_level: warn\n`,
  );
  const agent = spawn(join(AGENT_DIR, "device-agent-linux-amd64"), ["--config", join(dir, "agent.yaml")], {
    stdio: "inherit",
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHealth(url, SECRET);
    const samples: number[] = [];
    for (let i = 0; i < 1050; i++) {
      const started = performance.now();
      const reply = await agentRequest(url, SECRET, "GET", "/health");
      if (reply.status !== 200) throw new Error(`/health answered ${reply.status}`);
      if (i >= 50) samples.push(performance.now() - started);
    }
    console.log(summary("signed GET /health round trip, loopback (goal p50 ≤ 5 ms)", samples));
  } finally {
    agent.kill("SIGTERM");
  }
}

function appends(dir: string): void {
  const db = openNodeAuditDb(join(dir, "appends.db"));
  const audit = new AuditLog(db);
  const count = 5000;
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    audit.recordCall({ capability: "fs.read", args: { path: `/home/u/file-${i}` }, caller: "@op:bench" });
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `durable audit appends (WAL, synchronous=FULL, one fsync'd commit each): ${count} in ${seconds.toFixed(2)} s = ${Math.round(count / seconds)}/s (goal ≥ 2000/s)`,
  );
  db.close();
}

function verify100k(dir: string): void {
  const db = openNodeAuditDb(join(dir, "verify.db"));
  const audit = new AuditLog(db);
  // Filled in one transaction: this measures verification, not appends.
  db.transaction(() => {
    for (let i = 0; i < 50_000; i++) {
      const id = audit.recordCall({
        capability: "shell.exec",
        args: { argv: ["ls", `/home/u/${i}`] },
        caller: "@op:bench",
      });
      audit.recordResult(id, "shell.exec", "@op:bench", { exitCode: 0, bytes: 120, durationMs: 3 });
    }
  })();
  const started = performance.now();
  const result = audit.verify(audit.head());
  const ms = performance.now() - started;
  if (!result.ok || result.count !== 100_000) throw new Error(`verify: ${JSON.stringify(result)}`);
  console.log(`verify a 100,000-row chain: ${(ms / 1000).toFixed(2)} s (goal ≤ 2 s)`);
  db.close();
}

function sizes(): void {
  for (const file of readdirSync(AGENT_DIR)
    .filter((f) => f.startsWith("device-agent-"))
    .sort()) {
    const bytes = readFileSync(join(AGENT_DIR, file));
    const mb = (n: number): string => `${(n / 1024 / 1024).toFixed(1)} MB`;
    console.log(
      `${file.padEnd(32)} ${mb(bytes.length).padStart(9)}   gzip ${mb(gzipSync(bytes).length).padStart(8)}`,
    );
  }
}

main().catch((error: unknown) => {
  console.error(`bench failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
