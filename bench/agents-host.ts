import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Appservice, MemoryStorageProvider } from "matrix-bot-sdk";
import { AgentHost, type AgentRoom } from "../agents/host";
import { ApprovalBroker } from "../agents/approvals";
import { HistoryStore } from "../agents/history";
import { AnthropicModel, type Model } from "../agents/model";
import { toolRegistry } from "../capabilities/registry";
import { AuditMirror } from "../capabilities/wg/audit-mirror";
import { WgDevices } from "../capabilities/wg/devices";
import { DeviceAuditStore } from "../state/device-audit";
import type { Tool } from "../capabilities/types";
import { createLogger } from "../common/log";
import { LLM_DEFAULTS } from "../config/schema";
import { openDatabase } from "../state/db";
import { DeviceStore, type Device } from "../state/devices";
import { BOT_MIGRATIONS } from "../state/migrations";

/**
 * One measurement for npm run bench:agents, in a fresh process: the bot's agent layer with
 * N registered WireGuard devices, each having had one real turn (stand-in model → fs.list
 * through the WG provider → the real device agent → answer). Prints one JSON line.
 */
interface Args {
  devices: number;
  stateDir: string;
  modelUrl: string;
  agentPort: number;
  secret: string;
  manifest: string;
  listDir: string;
  turnsForTiming: number;
}

async function main(): Promise<void> {
  const args = JSON.parse(process.argv[2] ?? "{}") as Args;
  const log = createLogger({ level: "warn", pretty: false });
  const db = openDatabase(join(args.stateDir, "meshpilot.db"), BOT_MIGRATIONS);
  // The appservice object the bot holds (not started): its libraries count in the RSS.
  const appservice = new Appservice({
    homeserverName: "bench.test",
    homeserverUrl: "http://127.0.0.1:1",
    port: 1,
    bindAddress: "127.0.0.1",
    registration: {
      id: "bench",
      as_token: "a",
      hs_token: "h",
      sender_localpart: "meshpilot",
      namespaces: { users: [{ exclusive: true, regex: "@agent-.*" }], rooms: [], aliases: [] },
    },
    storage: new MemoryStorageProvider(),
  });
  const devices = new DeviceStore(db);
  for (let i = 0; i < args.devices; i++) registerDevice(devices, args, `pc${i}`);

  const timing = { modelMs: 0, toolMs: [] as number[] };
  const inner = new AnthropicModel({
    model: "bench",
    apiKey: "bench-key",
    baseUrl: args.modelUrl,
    maxTokens: 256,
    timeoutMs: 10_000,
    retries: 0,
    retryBaseMs: 1,
  });
  const model: Model = {
    create: async (request) => {
      const started = performance.now();
      try {
        return await inner.create(request);
      } finally {
        timing.modelMs += performance.now() - started;
      }
    },
  };
  const wg = new WgDevices({
    stateDir: args.stateDir,
    agentPort: args.agentPort,
    audit: new AuditMirror({ store: new DeviceAuditStore(db) }),
  });
  const registry = toolRegistry({
    wg: { toolsFor: (device) => wg.toolsFor(device).map((tool) => timed(tool, timing.toolMs)) },
    ssh: { toolsFor: () => [] },
  });
  const silent: AgentRoom = {
    say: () => Promise.resolve("$e"),
    notice: () => Promise.resolve("$e"),
    ask: () => Promise.resolve("$e"),
    typing: () => Promise.resolve(),
  };
  const host = new AgentHost({
    model,
    registry,
    // The history the bot keeps by default; the rest is cut short so the bench measures the bot, not waits.
    history: new HistoryStore(db, {
      maxTurns: LLM_DEFAULTS.history_max_turns,
      maxTokens: LLM_DEFAULTS.history_max_tokens,
    }),
    approvals: new ApprovalBroker(db, { operators: new Set(["@op:bench.test"]), timeoutMs: 1000, log }),
    roomFor: () => silent,
    limits: { maxToolRounds: 4, toolOutputMaxChars: 8000, approvalTimeoutS: 1 },
    agentPort: args.agentPort,
    log,
  });
  const turn = async (device: Device, n: number): Promise<void> =>
    host.handle(device, {
      roomId: device.room_id!,
      eventId: `$m${n}`,
      sender: "@op:bench.test",
      body: "list",
    });

  for (const device of devices.list()) await turn(device, 0);
  void appservice;
  global.gc?.();
  await new Promise((r) => setTimeout(r, 200));
  global.gc?.();
  const rssMb = process.memoryUsage().rss / 1024 / 1024;

  // Dispatch overhead: repeated turns on one device, model time and tool time taken out.
  const first = devices.list()[0]!;
  timing.toolMs.length = 0;
  const overheads: number[] = [];
  for (let i = 1; i <= args.turnsForTiming; i++) {
    timing.modelMs = 0;
    const toolsBefore = timing.toolMs.length;
    const started = performance.now();
    await turn(first, i);
    const total = performance.now() - started;
    const tool = timing.toolMs.slice(toolsBefore).reduce((a, b) => a + b, 0);
    overheads.push(total - timing.modelMs - tool);
  }
  process.stdout.write(
    `${JSON.stringify({ devices: args.devices, rssMb, toolMs: timing.toolMs, overheads })}\n`,
  );
  db.close();
}

function registerDevice(devices: DeviceStore, args: Args, name: string): void {
  devices.claim(name, "wg");
  devices.update(name, {
    status: "live",
    mesh_ip: "127.0.0.1",
    manifest: args.manifest,
    os: "linux",
    arch: "amd64",
    room_id: `!room-${name}:bench.test`,
    agent_user_id: `@agent-${name}:bench.test`,
  });
  const dir = join(args.stateDir, "devices", name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "agent.secret"), args.secret);
  chmodSync(join(dir, "agent.secret"), 0o600);
}

/** The same tool, timing its execute (signed HTTP to the agent and back). */
function timed(tool: Tool, samples: number[]): Tool {
  return {
    ...tool,
    execute: async (input, ctx) => {
      const started = performance.now();
      try {
        return await tool.execute(input, ctx);
      } finally {
        samples.push(performance.now() - started);
      }
    },
  };
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error instanceof Error ? error.stack : error)}\n`);
  process.exit(1);
});
