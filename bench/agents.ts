import { spawn, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { agentRequest } from "../capabilities/wg/agent-http";
import { readManifestTemplate, renderManifest } from "../device-agent/manifest/render";
import { AnthropicStandIn, callTool, lastToolResults, say } from "../lab/anthropic-standin";
import { percentile, summary } from "./stats";

/**
 * npm run bench:agents — the per-device agents' figures, against the Messages API
 * STAND-IN (no real model) and the real built device agent on loopback:
 * 1. RSS of a fresh process holding the bot's agent layer with 1, 10 and 100 registered
 *    WireGuard devices, each after one real turn (goal ≤ 200 MB at 100, ≤ 1 MB per extra);
 * 2. tool dispatch (WG provider → signed HTTP → device agent fs.list → result), p50;
 * 3. the agent's own overhead per turn, model and tool time taken out, p50.
 */
const REPO = join(__dirname, "..", "..");
const AGENT = join(REPO, "dist", "agent", "device-agent-linux-amd64");
const SECRET = "bench-agents-secret-0123456789abcdef012345";

async function main(): Promise<void> {
  if (!existsSync(AGENT)) spawnSync("bash", ["scripts/build-agent.sh"], { cwd: REPO, stdio: "inherit" });
  const dir = mkdtempSync(join(tmpdir(), "meshpilot-bench-agents-"));
  const listDir = join(dir, "home");
  mkdirSync(listDir);
  for (let i = 0; i < 20; i++) writeFileSync(join(listDir, `file-${i}.txt`), `${i}\n`);
  const port = await freePort();
  writeFileSync(join(dir, "secret"), SECRET);
  chmodSync(join(dir, "secret"), 0o600);
  const rendered = renderManifest(readManifestTemplate("linux"), { user: "bench" });
  const manifestYaml = rendered.text.replace(/\/home\/bench\/\*\*/g, `${dir}/**`).replace("/home/bench", dir);
  writeFileSync(join(dir, "manifest.yaml"), manifestYaml);
  writeFileSync(
    join(dir, "agent.yaml"),
    `listen: { address: 127.0.0.1, port: ${port} }\nsecret_file: secret\nmanifest: manifest.yaml\naudit_db: audit.db\nlog_level: warn\n`,
  );
  const agent = spawn(AGENT, ["--config", join(dir, "agent.yaml")], { stdio: "inherit" });
  const standIn = await AnthropicStandIn.start();
  standIn.otherwise((request) =>
    lastToolResults(request).length > 0 ? say("done") : callTool("fs_list", { path: listDir }),
  );
  try {
    await waitForHealth(`http://127.0.0.1:${port}`);
    const manifest = JSON.stringify(renderManifest(manifestYaml, { user: "bench" }).manifest);
    const results: Array<{ devices: number; rssMb: number; toolMs: number[]; overheads: number[] }> = [];
    for (const devices of [1, 10, 100]) {
      const stateDir = join(dir, `state-${devices}`);
      mkdirSync(stateDir);
      const args = {
        devices,
        stateDir,
        modelUrl: standIn.url,
        agentPort: port,
        secret: SECRET,
        manifest,
        listDir,
        turnsForTiming: devices === 1 ? 300 : 0,
      };
      // Asynchronously: the stand-in lives in this process and must keep answering.
      const out = await runChild(["--expose-gc", join(__dirname, "agents-host.js"), JSON.stringify(args)]);
      results.push(JSON.parse(out) as (typeof results)[number]);
    }
    for (const r of results)
      console.log(
        `agent layer RSS with ${String(r.devices).padStart(3)} registered device agents (one turn each): ${r.rssMb.toFixed(1)} MB`,
      );
    const perDevice = (results[2]!.rssMb - results[0]!.rssMb) / 99;
    console.log(
      `per extra device: ${perDevice.toFixed(2)} MB (goal ≤ 1 MB; ≤ 200 MB at 100: ${results[2]!.rssMb <= 200 ? "met" : "missed"})`,
    );
    const timing = results[0]!;
    console.log(
      summary(
        "tool dispatch, model excluded (WG provider → signed HTTP → device agent fs.list → result)",
        timing.toolMs.slice(20),
      ),
    );
    console.log(
      summary(
        "agent overhead per turn, model and tool excluded (loop, prompt, history, SQLite)",
        timing.overheads.slice(20),
      ),
    );
    console.log(
      `(p50 dispatch ${percentile(timing.toolMs.slice(20), 50).toFixed(2)} ms; model: the local stand-in, not counted)`,
    );
  } finally {
    agent.kill("SIGTERM");
    await standIn.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

function runChild(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    child.once("error", reject);
    child.once("exit", (code) =>
      code === 0 ? resolve(out) : reject(new Error(`agents-host exited with ${code}`)),
    );
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function waitForHealth(url: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await agentRequest(url, SECRET, "GET", "/health")).status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline)
      throw new Error(`the device agent did not answer /health within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
