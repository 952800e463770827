import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { ApprovalBroker } from "../agents/approvals";
import { HistoryStore } from "../agents/history";
import { AgentHost, type AgentRoom } from "../agents/host";
import { AnthropicModel } from "../agents/model";
import { askCommand } from "../bot/commands/ask";
import { parseArgs } from "../bot/commands/args";
import type { CommandContext } from "../bot/commands/types";
import type { Reply } from "../bot/reply";
import type { Tool } from "../capabilities/types";
import { createLogger } from "../common/log";
import { LLM_DEFAULTS } from "../config/schema";
import { AnthropicStandIn, callTool, lastToolResults, say, type Scripted } from "../lab/anthropic-standin";
import { openDatabase } from "../state/db";
import { DeviceStore } from "../state/devices";
import { BOT_MIGRATIONS } from "../state/migrations";
import { percentile, summary } from "./stats";

/**
 * npm run bench:ask [-- --devices 50 --runs 5 --concurrency 8 --model-ms 300 --tool-ms 30]
 *
 * `!ask all` to N stand-in devices, no lab: the real command, fan-out engine, AgentHost,
 * loop, SQLite history and @anthropic-ai/sdk over HTTP to the model stand-in
 * (lab/anthropic-standin.ts, in a child process so its memory is not the bot's). Each
 * device's tools are in-process fakes with the device round trip as a fixed delay: fs.list
 * (read) runs, and every fifth device also tries fs.write (change), which is skipped and
 * listed. Each turn is model → fs.list → model → answer, the model answering after
 * --model-ms. Prints the time from the command to the merged answer (p50/p95 over the runs,
 * against the floor ceil(N/concurrency) × one turn) and the bot process's RSS and peak RSS.
 */
interface Options {
  devices: number;
  runs: number;
  concurrency: number;
  modelMs: number;
  toolMs: number;
}

const OP = "@op:bench.test";

async function main(): Promise<void> {
  if (process.argv.includes("--standin")) return serveStandIn(Number(flag("--model-ms", 300)));
  const options: Options = {
    devices: Number(flag("--devices", 50)),
    runs: Number(flag("--runs", 5)),
    concurrency: Number(flag("--concurrency", LLM_DEFAULTS.fanout_concurrency)),
    modelMs: Number(flag("--model-ms", 300)),
    toolMs: Number(flag("--tool-ms", 30)),
  };
  const standIn = await startStandInProcess(options.modelMs);
  const stateDir = mkdtempSync(join(tmpdir(), "meshpilot-bench-ask-"));
  try {
    await measure(options, standIn.url, stateDir);
  } finally {
    standIn.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

async function measure(options: Options, modelUrl: string, stateDir: string): Promise<void> {
  const log = createLogger({ level: "warn", pretty: false });
  const db = openDatabase(join(stateDir, "meshpilot.db"), BOT_MIGRATIONS);
  const devices = new DeviceStore(db);
  for (let i = 0; i < options.devices; i++) {
    const name = `fa${String(i).padStart(2, "0")}`;
    devices.claim(name, "wg");
    devices.update(name, {
      status: "live",
      os: "linux",
      arch: "amd64",
      mesh_ip: "10.77.0.2",
      room_id: `!room-${name}:bench.test`,
      manifest: JSON.stringify({ capabilities: { approval_classes: ["change", "run"] } }),
    });
  }
  const posts = { room: 0 };
  const room: AgentRoom = {
    say: () => Promise.resolve(`$${++posts.room}`),
    notice: () => Promise.resolve(`$${++posts.room}`),
    ask: () => Promise.reject(new Error("an approval card was posted during a fan-out")),
    typing: () => Promise.resolve(),
  };
  const executed = { write: 0 };
  const host = new AgentHost({
    model: new AnthropicModel({
      model: "bench",
      apiKey: "bench-key",
      baseUrl: modelUrl,
      maxTokens: 512,
      timeoutMs: 30_000,
      retries: 0,
      retryBaseMs: 1,
    }),
    registry: { toolsFor: () => fakeTools(options.toolMs, executed) },
    history: new HistoryStore(db, {
      maxTurns: LLM_DEFAULTS.history_max_turns,
      maxTokens: LLM_DEFAULTS.history_max_tokens,
    }),
    approvals: new ApprovalBroker(db, { operators: new Set([OP]), timeoutMs: 1000, log }),
    roomFor: () => room,
    limits: { maxToolRounds: 4, toolOutputMaxChars: 8000, approvalTimeoutS: 1 },
    agentPort: 7700,
    log,
  });
  const command = askCommand({
    devices: () => devices.list(),
    health: () => new Map(),
    agents: () => host,
    limits: { concurrency: options.concurrency, timeoutMs: LLM_DEFAULTS.fanout_timeout_s * 1000 },
  });
  const times: number[] = [];
  let last: Reply | undefined;
  for (let run = 0; run < options.runs; run++) {
    const told: Reply[] = [];
    const ctx: CommandContext = {
      sender: OP,
      roomId: "!alerts:bench.test",
      eventId: `$cmd${run}`,
      log,
      reply: () => Promise.resolve("$notice"),
      tell: (reply) => Promise.resolve(String(told.push(reply))),
      startProgress: () => Promise.reject(new Error("not used")),
    };
    const started = performance.now();
    await command.run(ctx, parseArgs(command, ["all", "what", "is", "in", "/home/bench?"]));
    times.push(performance.now() - started);
    last = told[0];
  }
  global.gc?.();
  await new Promise((r) => setTimeout(r, 200));
  const rssMb = process.memoryUsage().rss / 1024 / 1024;
  const peakMb = process.resourceUsage().maxRSS / 1024;
  const turnMs = 2 * options.modelMs + options.toolMs;
  const floorMs = Math.ceil(options.devices / options.concurrency) * turnMs;
  const rows = last?.body.split("\n").filter((l) => /^fa\d+ /.test(l)) ?? [];
  const out = (line: string): boolean => process.stdout.write(`${line}\n`);
  out(
    `bench:ask — !ask all to ${options.devices} stand-in devices, concurrency ${options.concurrency}, model ${options.modelMs} ms a reply, device round trip ${options.toolMs} ms`,
  );
  out(summary("merged answer", times));
  out(
    `floor (ceil(${options.devices}/${options.concurrency}) × one turn of ${turnMs} ms): ${floorMs} ms; p50 over the floor: ${(percentile(times, 50) - floorMs).toFixed(1)} ms`,
  );
  out(`bot RSS after the runs: ${rssMb.toFixed(1)} MB, peak ${peakMb.toFixed(1)} MB`);
  out(
    `last merged answer: ${rows.length} device rows, ${last?.body.split("\n").filter((l) => l.startsWith("• ")).length ?? 0} skipped calls listed; fs.write executed ${executed.write} times; ${posts.room} device-room posts`,
  );
  db.close();
}

/** A device's tools as in-process fakes: the round trip is a fixed delay. */
function fakeTools(toolMs: number, executed: { write: number }): Tool[] {
  const wait = (): Promise<void> => new Promise((r) => setTimeout(r, toolMs));
  return [
    {
      name: "fs.list",
      description: "lists a directory",
      inputSchema: { type: "object", properties: { path: { type: "string" } } },
      classify: () => ({ needed: false, callClass: "read", reason: "reads a directory" }),
      timeoutMs: 10_000,
      execute: async () => {
        await wait();
        return { ok: true, output: "notes.txt 120 B\nphotos/ dir\nbackup.tgz 2.1 GB" };
      },
    },
    {
      name: "fs.write",
      description: "writes a file",
      inputSchema: { type: "object", properties: { path: { type: "string" }, content: { type: "string" } } },
      classify: () => ({ needed: true, callClass: "change", reason: "writes a file" }),
      timeoutMs: 10_000,
      execute: async () => {
        executed.write++;
        await wait();
        return { ok: true, output: "written" };
      },
    },
  ];
}

/** The child: the model stand-in, answering every request after `modelMs`. */
async function serveStandIn(modelMs: number): Promise<void> {
  const standIn = await AnthropicStandIn.start();
  standIn.otherwise((request): Scripted => {
    const device = /fa\d+/.exec(request.body.system ?? "")?.[0] ?? "?";
    const results = lastToolResults(request);
    const reply =
      results.length > 0
        ? say(`${device}: /home/bench holds notes.txt, photos/ and a 2.1 GB backup.tgz.`)
        : Number(device.slice(2)) % 5 === 0
          ? {
              kind: "reply" as const,
              content: [
                {
                  type: "tool_use" as const,
                  id: `l${device}`,
                  name: "fs_list",
                  input: { path: "/home/bench" },
                },
                {
                  type: "tool_use" as const,
                  id: `w${device}`,
                  name: "fs_write",
                  input: { path: "/home/bench/x", content: "x" },
                },
              ],
              stopReason: "tool_use",
            }
          : callTool("fs_list", { path: "/home/bench" });
    return { kind: "slow", delayMs: modelMs, then: reply };
  });
  process.stdout.write(`${standIn.url}\n`);
  // Requests are kept by the stand-in for tests; here they are dropped so it does not grow.
  setInterval(() => (standIn.requests.length = 0), 1000);
}

async function startStandInProcess(modelMs: number): Promise<{ url: string; stop(): void }> {
  const child = spawn(process.execPath, [__filename, "--standin", "--model-ms", String(modelMs)], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const line = await new Promise<string>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`the model stand-in exited (${String(code)})`)));
    createInterface({ input: child.stdout }).once("line", resolve);
  });
  return { url: line.trim(), stop: () => child.kill() };
}

function flag(name: string, fallback: number): string {
  const index = process.argv.indexOf(name);
  return index >= 0 ? (process.argv[index + 1] ?? String(fallback)) : String(fallback);
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error instanceof Error ? error.stack : error)}\n`);
  process.exit(1);
});
