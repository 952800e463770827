import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { agentRequest } from "../capabilities/wg/agent-http";
import { readManifestTemplate, renderManifest } from "../device-agent/manifest/render";
import { freePort, waitForHealth } from "./local-agent";
import { summary } from "./stats";

/**
 * npm run bench:wire — what unauthenticated peers cost the device agent (the built
 * linux-amd64 executable on loopback). 48 sockets each announce an 8 MiB body and stream
 * junk into it without a signature (before: the agent read up to 8 MiB per connection before
 * checking anything, 48 sockets → 450 MB RSS). Prints the agent's RSS before and at its peak,
 * how the sockets ended, and the signed /health round trip while they press.
 */
const REPO = join(__dirname, "..", "..");
/** Another build can be measured the same way: node dist/bench/wire.js <agent executable>. */
const AGENT = process.argv[2] ?? join(REPO, "dist", "agent", "device-agent-linux-amd64");
const SECRET = "bench-secret-0123456789abcdef0123456789abcdef";
const SOCKETS = 48;
const ANNOUNCED = 8 * 1024 * 1024;
const PRESS_MS = 5000;

async function main(): Promise<void> {
  if (!existsSync(AGENT)) spawnSync("bash", ["scripts/build-agent.sh"], { cwd: REPO, stdio: "inherit" });
  const dir = mkdtempSync(join(tmpdir(), "meshpilot-bench-wire-"));
  const port = await freePort();
  writeFileSync(join(dir, "secret"), SECRET);
  chmodSync(join(dir, "secret"), 0o600);
  writeFileSync(
    join(dir, "manifest.yaml"),
    renderManifest(readManifestTemplate("linux"), { user: "bench", home: dir }).text,
  );
  writeFileSync(
    join(dir, "agent.yaml"),
    `listen: { address: 127.0.0.1, port: ${port} }\nsecret_file: secret\nmanifest: manifest.yaml\naudit_db: audit.db\nlog_level: error\n`,
  );
  const agent = spawn(AGENT, ["--config", join(dir, "agent.yaml")], { stdio: "inherit" });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHealth(url, SECRET);
    const before = rssMb(agent);
    const ended = { answered: 0, closed: 0, open: 0 };
    const sockets = Array.from({ length: SOCKETS }, () => press(port, ended));
    let peak = before;
    const latencies: number[] = [];
    const until = Date.now() + PRESS_MS;
    while (Date.now() < until) {
      peak = Math.max(peak, rssMb(agent));
      const started = performance.now();
      const reply = await agentRequest(url, SECRET, "GET", "/health", undefined, 5000).catch(() => undefined);
      if (reply?.status === 200) latencies.push(performance.now() - started);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    ended.open = sockets.filter((s) => !s.destroyed).length;
    for (const socket of sockets) socket.destroy();
    console.log(
      `agent RSS before: ${before.toFixed(1)} MB; peak with ${SOCKETS} unsigned 8 MiB bodies: ${peak.toFixed(1)} MB`,
    );
    console.log(
      `sockets after ${PRESS_MS / 1000} s: ${ended.answered} answered (413/401), ${ended.closed} closed by the agent, ${ended.open} still open`,
    );
    console.log(summary("signed GET /health while they press", latencies));
  } finally {
    agent.kill("SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One unsigned POST announcing 8 MiB and streaming junk into it until the agent stops it. */
function press(port: number, ended: { answered: number; closed: number }): Socket {
  const socket = connect(port, "127.0.0.1");
  const chunk = Buffer.alloc(64 * 1024, 0x41);
  let sent = 0;
  let counted = false;
  const count = (kind: "answered" | "closed"): void => {
    if (counted) return;
    counted = true;
    ended[kind]++;
  };
  socket.on("connect", () => {
    socket.write(
      `POST /call HTTP/1.1\r\nHost: agent\r\nContent-Type: application/json\r\nContent-Length: ${ANNOUNCED}\r\n\r\n`,
    );
    const pump = (): void => {
      while (sent < ANNOUNCED && !socket.destroyed) {
        sent += chunk.length;
        if (!socket.write(chunk)) return void socket.once("drain", pump);
      }
    };
    pump();
  });
  socket.on("data", () => count("answered"));
  socket.on("close", () => count("closed"));
  socket.on("error", () => count("closed"));
  return socket;
}

function rssMb(child: ChildProcess): number {
  const status = readFileSync(`/proc/${child.pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
}

main().catch((error: unknown) => {
  console.error(`bench failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
