import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { loadConfig } from "../config/load";
import { BotProcess } from "../lab/bot-process";
import { labIsUp, readLabFacts, type LabFacts } from "../lab/facts";
import { LabMatrixClient, reactionTo } from "../lab/matrix-client";
import { devicesInFile, removePeerBlock } from "../provisioning/wg/hub-config";
import { Journal } from "../provisioning/journal";
import { openDatabase } from "../state/db";
import { BOT_MIGRATIONS } from "../state/migrations";
import { summary } from "./stats";

/**
 * npm run bench:add-pc: `!add-pc pc1 --via wg` on the lab, from the operator's message to
 * the bot's ✅ (the device live), 10 runs with pc1 and the hub cleaned between runs;
 * and the bytes uploaded per run.
 */
async function main(): Promise<void> {
  const facts = readLabFacts();
  if (!facts || !(await labIsUp(facts))) throw new Error("the lab is not up: run npm run lab:up (as root)");
  const runs = Number(process.env.BENCH_COUNT ?? 10);
  const stateDir = loadConfig(facts.botConfig).config.state_dir;
  const operator = await LabMatrixClient.login(
    facts.homeserverUrl,
    facts.operator.user,
    facts.operator.password,
  );
  await operator.start();
  const times: number[] = [];
  const bytes: number[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      cleanPc1AndHub(facts);
      BotProcess.wipeState(stateDir);
      const bot = new BotProcess(facts, { name: "bench-add-pc" });
      await bot.start();
      try {
        const room = await operator.resolveAlias(facts.alertsAlias);
        await operator.join(room);
        const started = performance.now();
        const sent = await operator.sendText(room, "!add-pc pc1 --via wg --ssh pc1-admin");
        const reaction = await operator.waitFor(
          reactionTo(sent, facts.botUserId),
          180_000,
          "the reaction to !add-pc",
        );
        const elapsed = performance.now() - started;
        if ((reaction.content["m.relates_to"] as { key: string }).key !== "✅")
          throw new Error(`run ${i + 1} failed; see ${bot.logFile}`);
        times.push(elapsed);
        const db = openDatabase(`${stateDir}/meshpilot.db`, BOT_MIGRATIONS);
        const run = new Journal(db).latestKnown("pc1");
        bytes.push((JSON.parse(run?.data ?? "{}") as { bytesUploaded?: number }).bytesUploaded ?? 0);
        db.close();
      } finally {
        await bot.stop();
      }
    }
  } finally {
    await operator.stop();
  }
  console.log(summary("!add-pc pc1 --via wg (message → live ✅)", times));
  console.log(`bytes uploaded per run: ${bytes.map((b) => `${(b / 1e6).toFixed(1)} MB`).join(", ")}`);
}

/** pc1 without meshpilot, and the hub without pc1's peer, as before a first add. */
function cleanPc1AndHub(facts: LabFacts): void {
  const pc1 = facts.hosts.pc1!;
  execFileSync("ssh", [
    ...["-i", facts.botSshKey, "-o", "BatchMode=yes", "-o", `UserKnownHostsFile=${facts.knownHosts}`],
    `${pc1.adminUser}@${pc1.ip}`,
    `sudo -n wg-quick down mesh0 2>/dev/null; sudo -n rm -f /etc/wireguard/mesh0.conf; pkill -u "$(id -u)" -f '/[m]eshpilot/(supervise|device-agent)'; rm -rf ~/.local/share/meshpilot ~/.config/meshpilot ~/.local/state/meshpilot; true`,
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
