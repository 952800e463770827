import { execFileSync, spawn } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { parse, stringify } from "yaml";
import { loadConfig } from "../config/load";
import { BotProcess } from "../lab/bot-process";
import { labIsUp, readLabFacts, type LabFacts } from "../lab/facts";
import { LabMatrixClient, reactionTo } from "../lab/matrix-client";
import { Journal } from "../provisioning/journal";
import { compressedPath, localAgent } from "../provisioning/wg/agent-install";
import { devicesInFile, removePeerBlock } from "../provisioning/wg/hub-config";
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

const NAME = "pce";
const PC = "pc4";
const ENROLL_PORT = 8448;

/**
 * npm run bench:enroll [-- --runs N --throttle 20mbit,40ms]: `!add-pc pce --via pull` on
 * the lab's pc4 (behind lab/relay.py, no route from the hub), timed from running the
 * one-time command on pc4 to the bot's ✅ (live: handshake, signed /health, room, hello);
 * N runs (BENCH_COUNT, default 10), pc4 and the hub cleaned between runs; per step p50/p95
 * from the journal (the wait for the PC is the operator's, so it is left out) and the bytes
 * the PC downloads. --throttle swaps pc4's relay for a shaped one (both ways, every port).
 */
async function main(): Promise<void> {
  const { values } = parseArgs({ options: { runs: { type: "string" }, throttle: { type: "string" } } });
  const facts = readLabFacts();
  if (!facts || !(await labIsUp(facts))) throw new Error("the lab is not up: run npm run lab:up (as root)");
  const runs = Number(values.runs ?? process.env.BENCH_COUNT ?? 10);
  const throttleText = values.throttle ?? process.env.BENCH_THROTTLE;
  const throttle = throttleText ? parseThrottle(throttleText) : undefined;
  const configFile = benchConfig(facts);
  const stateDir = loadConfig(configFile).config.state_dir;
  if (throttle) restartRelay(facts, throttle);
  const operator = await LabMatrixClient.login(
    facts.homeserverUrl,
    facts.operator.user,
    facts.operator.password,
  );
  await operator.start();
  const times: number[] = [];
  const scriptTimes: number[] = [];
  const steps: Array<Array<{ name: string; ms: number }>> = [];
  try {
    for (let i = 0; i < runs; i++) {
      cleanPc4AndHub(facts);
      BotProcess.wipeState(stateDir);
      const bot = new BotProcess(facts, { name: "bench-enroll", configFile });
      await bot.start();
      try {
        const room = await operator.resolveAlias(facts.alertsAlias);
        await operator.join(room);
        const sent = await operator.sendText(room, `!add-pc ${NAME} --via pull`);
        const link = await operator.waitFor(
          (e) =>
            e.sender === facts.botUserId &&
            operator.isAfter(e, sent) &&
            /\| sudo sh/.test(String(e.content.body)),
          60_000,
          "the one-time command",
        );
        const command = /curl -fsSL \S+ \| sudo sh/.exec(String(link.content.body))![0];
        const started = performance.now();
        const ran = runOnPc4(facts, command);
        const reaction = await operator.waitFor(
          reactionTo(sent, facts.botUserId),
          600_000,
          "the add's outcome",
        );
        const elapsed = performance.now() - started;
        const script = await ran;
        if ((reaction.content["m.relates_to"] as { key: string }).key !== "✅" || script.code !== 0)
          throw new Error(`run ${i + 1} failed; see ${bot.logFile}; pc4 said: ${script.out.slice(-400)}`);
        times.push(elapsed);
        scriptTimes.push(script.ms);
        steps.push(readSteps(stateDir).filter((s) => !s.name.startsWith("waiting for the PC")));
      } finally {
        await bot.stop();
      }
    }
  } finally {
    await operator.stop();
    cleanPc4AndHub(facts);
    if (throttle) restartRelay(facts, undefined);
  }
  const agent = localAgent(loadConfig(configFile).config.mesh!.agent_dir, "linux-amd64");
  const gz = existsSync(compressedPath(agent)) ? statSync(compressedPath(agent)).size : Number.NaN;
  const link = throttle
    ? `pc4's relay shaped to ${throttle.rateMbit || "unlimited"} Mbit/s, +${throttle.delayMs} ms each way`
    : "pc4's relay unshaped";
  console.log(`!add-pc ${NAME} --via pull on pc4, ${link}`);
  console.log(summary("one-liner started → live ✅", times));
  console.log(summary("the PC's script (curl | sudo sh) end to end", scriptTimes));
  console.log(stepTable(steps));
  console.log(
    `bytes the PC downloads: the agent's gzip ${megabytes(gz)} (of ${megabytes(agent.bytes)}), plus two scripts of a few KB`,
  );
  console.log(`p50 ${(percentile(times, 50) / 1000).toFixed(2)} s`);
}

function benchConfig(facts: LabFacts): string {
  const config = parse(readFileSync(facts.botConfig, "utf8")) as Record<string, unknown>;
  config.enroll = {
    bind_address: facts.hosts.hub!.ip,
    port: ENROLL_PORT,
    public_url: facts.hosts[PC]!.enrollUrl,
  };
  const path = join(facts.labDir, "meshpilot-bench-enroll.yaml");
  writeFileSync(path, stringify(config));
  return path;
}

/** The one-time command on pc4, as its admin user (nsenter into its mounts and network). */
function runOnPc4(facts: LabFacts, command: string): Promise<{ code: number; out: string; ms: number }> {
  const host = facts.hosts[PC]!;
  const pid = readFileSync(host.holderPid!, "utf8").trim();
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(
      "nsenter",
      ["-t", pid, "-m", "-n", "--", "runuser", "-u", host.adminUser!, "--", "sh", "-c", command],
      {
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let out = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    child.stderr.on("data", (c: Buffer) => (out += c.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, out, ms: performance.now() - started }));
  });
}

function readSteps(stateDir: string): Array<{ name: string; ms: number }> {
  const db = openDatabase(`${stateDir}/meshpilot.db`, BOT_MIGRATIONS);
  try {
    const run = new Journal(db).latestKnown(NAME);
    if (!run) throw new Error(`no completed run for ${NAME} in the journal`);
    const marks = db
      .prepare("SELECT idx, name, updated_at AS doneAt FROM run_steps WHERE run_id = ? ORDER BY idx")
      .all(run.id) as StepMark[];
    return stepDurations(run.started_at, marks);
  } finally {
    db.close();
  }
}

/** pc4 without meshpilot, and the hub without peers, as before a first enrollment. */
function cleanPc4AndHub(facts: LabFacts): void {
  const pid = readFileSync(facts.hosts[PC]!.holderPid!, "utf8").trim();
  execFileSync("nsenter", [
    ...["-t", pid, "-m", "-n", "--", "sh", "-c"],
    `wg-quick down mesh0 >/dev/null 2>&1; rm -f /etc/wireguard/mesh0.conf; pkill -f '/[m]eshpilot/(supervise|device-agent)'; rm -rf /home/*/.local/share/meshpilot /home/*/.config/meshpilot /home/*/.local/state/meshpilot; true`,
  ]);
  let conf = readFileSync(facts.mesh.hubConfig, "utf8");
  for (const device of devicesInFile(conf)) conf = removePeerBlock(conf, device);
  writeFileSync(facts.mesh.hubConfig, conf, { mode: 0o600 });
  for (const peer of execFileSync("wg", ["show", facts.mesh.interface, "peers"], { encoding: "utf8" })
    .split("\n")
    .filter(Boolean))
    execFileSync("wg", ["set", facts.mesh.interface, "peer", peer, "remove"]);
}

/**
 * pc4's relay (lab/up.sh starts it) replaced by one with the same ports, shaped or not; it
 * is started from the root namespace as up.sh does, and its pid file kept up to date.
 */
function restartRelay(facts: LabFacts, throttle: Throttle | undefined): void {
  const dir = join(facts.labDir, "hosts", PC);
  const pidFile = join(dir, "relay.pid");
  const old = Number(readFileSync(pidFile, "utf8").trim());
  const alive = (): boolean => {
    try {
      process.kill(old, 0);
      return true;
    } catch {
      return false;
    }
  };
  if (alive()) process.kill(old, "SIGTERM");
  // The new relay binds the same addresses: the old one must be gone first.
  for (let i = 0; alive(); i++) {
    if (i > 100) throw new Error(`pc4's relay (pid ${old}) did not stop`);
    execFileSync("sleep", ["0.1"]);
  }
  const hub = facts.hosts.hub!.ip;
  const udpPort = loadConfig(facts.botConfig).config.mesh!.endpoint.split(":")[1]!;
  const shape = throttle
    ? ["--rate-mbit", String(throttle.rateMbit), "--delay-ms", String(throttle.delayMs)]
    : [];
  const log = openSync(join(dir, "relay.log"), "w");
  // Its sockets must be made in pc4 and the hub: nsenter into the root namespace first.
  const child = spawn(
    "nsenter",
    [
      `--net=${facts.rootNetns ?? "/run/netns/mp-root"}`,
      "python3",
      join(facts.repo, "lab", "relay.py"),
      ...["--listen-ns", PC, "--connect-ns", "hub"],
      ...[
        "--tcp",
        `${hub}:${ENROLL_PORT}=${hub}:${ENROLL_PORT}`,
        "--udp-map",
        `${hub}:${udpPort}=${hub}:${udpPort}`,
      ],
      ...shape,
    ],
    { stdio: ["ignore", log, log], detached: true },
  );
  child.unref();
  closeSync(log);
  writeFileSync(pidFile, String(child.pid));
  const deadline = Date.now() + 10_000;
  while (!readFileSync(join(dir, "relay.log"), "utf8").includes("relay ready")) {
    if (Date.now() > deadline) throw new Error(`pc4's relay did not start: see ${join(dir, "relay.log")}`);
    execFileSync("sleep", ["0.1"]);
  }
}

main().catch((error: unknown) => {
  console.error(`bench failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
