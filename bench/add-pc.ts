import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { readFileSync, writeFileSync } from "node:fs";
import { loadConfig } from "../config/load";
import { BotProcess } from "../lab/bot-process";
import { labIsUp, readLabFacts, type LabFacts } from "../lab/facts";
import { LabMatrixClient, reactionTo } from "../lab/matrix-client";
import { devicesInFile, removePeerBlock } from "../provisioning/wg/hub-config";
import { Journal } from "../provisioning/journal";
import { openDatabase } from "../state/db";
import { BOT_MIGRATIONS } from "../state/migrations";
import {
  megabytes,
  parseThrottle,
  percentile,
  stepDurations,
  stepTable,
  summary,
  type StepMark,
  type Throttle,
} from "./stats";

/**
 * npm run bench:add-pc [-- --runs N --throttle 20mbit,40ms --keep-agent]:
 * `!add-pc pc1 --via wg` on the lab, from the operator's message to the bot's ✅ (the
 * device live), N runs (BENCH_COUNT, default 10) with pc1 and the hub cleaned between runs;
 * per step the p50/p95 from the journal, and the bytes on the wire per run.
 * --throttle (or BENCH_THROTTLE) puts lab/relay.py, shaped, between the bot and pc1's sshd
 * (the SSH path only; the tunnel and /health are not shaped). --keep-agent (or
 * BENCH_KEEP_AGENT=1) leaves pc1's agent executable in place, so the add finds its
 * checksum and sends nothing.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      runs: { type: "string" },
      throttle: { type: "string" },
      "keep-agent": { type: "boolean" },
    },
  });
  const facts = readLabFacts();
  if (!facts || !(await labIsUp(facts))) throw new Error("the lab is not up: run npm run lab:up (as root)");
  const runs = Number(values.runs ?? process.env.BENCH_COUNT ?? 10);
  const throttleText = values.throttle ?? process.env.BENCH_THROTTLE;
  const throttle = throttleText ? parseThrottle(throttleText) : undefined;
  const keepAgent = values["keep-agent"] ?? process.env.BENCH_KEEP_AGENT === "1";
  const stateDir = loadConfig(facts.botConfig).config.state_dir;
  const pc1 = facts.hosts.pc1!;
  const relay = throttle ? await startRelay(facts, `${pc1.ip}:22`, throttle) : undefined;
  const target = relay ? `${pc1.adminUser}@127.0.0.1:${relay.port}` : "pc1-admin";
  const operator = await LabMatrixClient.login(
    facts.homeserverUrl,
    facts.operator.user,
    facts.operator.password,
  );
  await operator.start();
  const times: number[] = [];
  const bytes: number[] = [];
  const steps: Array<Array<{ name: string; ms: number }>> = [];
  try {
    for (let i = 0; i < runs; i++) {
      cleanPc1AndHub(facts, keepAgent);
      BotProcess.wipeState(stateDir);
      const bot = new BotProcess(facts, { name: "bench-add-pc" });
      await bot.start();
      try {
        const room = await operator.resolveAlias(facts.alertsAlias);
        await operator.join(room);
        const started = performance.now();
        const sent = await operator.sendText(room, `!add-pc pc1 --via wg --ssh ${target}`);
        const reaction = await operator.waitFor(
          reactionTo(sent, facts.botUserId),
          600_000,
          "the reaction to !add-pc",
        );
        const elapsed = performance.now() - started;
        if ((reaction.content["m.relates_to"] as { key: string }).key !== "✅")
          throw new Error(`run ${i + 1} failed; see ${bot.logFile}`);
        times.push(elapsed);
        const run = readRun(stateDir);
        bytes.push(run.bytesUploaded);
        steps.push(run.steps);
      } finally {
        await bot.stop();
      }
    }
  } finally {
    await operator.stop();
    if (relay) await relay.stop();
  }
  const link = throttle
    ? `over lab/relay.py at ${throttle.rateMbit || "unlimited"} Mbit/s, +${throttle.delayMs} ms each way`
    : "direct";
  console.log(`!add-pc pc1 --via wg, ${link}${keepAgent ? ", agent already on pc1" : ""}`);
  console.log(summary("message → live ✅", times));
  console.log(stepTable(steps));
  console.log(
    `bytes on the wire (the agent's gzip): p50 ${megabytes(percentile(bytes, 50))}; per run ${bytes.map(megabytes).join(", ")}`,
  );
}

/** The latest completed add of pc1 from the bot's journal: its bytes sent and each step's time. */
function readRun(stateDir: string): { bytesUploaded: number; steps: Array<{ name: string; ms: number }> } {
  const db = openDatabase(`${stateDir}/meshpilot.db`, BOT_MIGRATIONS);
  try {
    const run = new Journal(db).latestKnown("pc1");
    if (!run) throw new Error("no completed run for pc1 in the journal");
    const marks = db
      .prepare("SELECT idx, name, updated_at AS doneAt FROM run_steps WHERE run_id = ? ORDER BY idx")
      .all(run.id) as StepMark[];
    const data = JSON.parse(run.data ?? "{}") as { bytesUploaded?: number };
    return { bytesUploaded: data.bytesUploaded ?? 0, steps: stepDurations(run.started_at, marks) };
  } finally {
    db.close();
  }
}

/** lab/relay.py in this namespace (the hub's), on a free loopback port, shaped, in front of `connect`. */
async function startRelay(
  facts: LabFacts,
  connect: string,
  throttle: Throttle,
): Promise<{ port: number; stop: () => Promise<void> }> {
  const child: ChildProcess = spawn(
    "python3",
    [
      join(facts.repo, "lab", "relay.py"),
      ...["--listen", "127.0.0.1:0", "--connect", connect],
      ...["--rate-mbit", String(throttle.rateMbit), "--delay-ms", String(throttle.delayMs)],
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  const lines = createInterface({ input: child.stdout! });
  const [line] = (await Promise.race([
    once(lines, "line"),
    once(child, "exit").then(([code]) => {
      throw new Error(`lab/relay.py exited ${String(code)} before it was ready`);
    }),
  ])) as [string];
  const port = Number(/^relay ready: tcp [^ ]+:(\d+) /.exec(line)?.[1]);
  if (!port) throw new Error(`lab/relay.py said ${JSON.stringify(line)}, not its ready line`);
  return {
    port,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = once(child, "exit");
      child.kill("SIGTERM");
      await exited;
    },
  };
}

/** pc1 without meshpilot (but its executable, with keepAgent), and the hub without pc1's peer, as before a first add. */
function cleanPc1AndHub(facts: LabFacts, keepAgent: boolean): void {
  const pc1 = facts.hosts.pc1!;
  execFileSync("ssh", [
    ...["-i", facts.botSshKey, "-o", "BatchMode=yes", "-o", `UserKnownHostsFile=${facts.knownHosts}`],
    `${pc1.adminUser}@${pc1.ip}`,
    `sudo -n wg-quick down mesh0 2>/dev/null; sudo -n rm -f /etc/wireguard/mesh0.conf; pkill -u "$(id -u)" -f '/[m]eshpilot/(supervise|device-agent)'; ${keepAgent ? "rm -f ~/.local/share/meshpilot/supervise.sh" : "rm -rf ~/.local/share/meshpilot"}; rm -rf ~/.config/meshpilot ~/.local/state/meshpilot; true`,
  ]);
  let conf = readFileSync(facts.mesh.hubConfig, "utf8");
  for (const device of devicesInFile(conf)) conf = removePeerBlock(conf, device);
  writeFileSync(facts.mesh.hubConfig, conf, { mode: 0o600 });
  for (const peer of execFileSync("wg", ["show", facts.mesh.interface, "peers"], { encoding: "utf8" })
    .split("\n")
    .filter(Boolean)) {
    execFileSync("wg", ["set", facts.mesh.interface, "peer", peer, "remove"]);
  }
}

main().catch((error: unknown) => {
  console.error(`bench failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
