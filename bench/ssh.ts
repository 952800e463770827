import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { AuditLog } from "../common/audit/log";
import { createLogger } from "../common/log";
import { loadConfig } from "../config/load";
import { sshTools } from "../capabilities/ssh/provider";
import type { SshManifest } from "../capabilities/ssh/policy";
import { SshPool } from "../ssh/pool";
import { connectSsh } from "../ssh/connect";
import { readPrivateKeyFile } from "../provisioning/keys-on-disk";
import { parseSshTarget } from "../ssh/target";
import { BotProcess } from "../lab/bot-process";
import { labIsUp, readLabFacts } from "../lab/facts";
import { LabMatrixClient, reactionTo } from "../lab/matrix-client";
import { asSqlDatabase } from "../state/db";
import { summary } from "./stats";

/**
 * npm run bench:ssh (inside the hub namespace, on the lab):
 * 1. ssh_exec(["true"]) on pc2 through the SSH provider, audit included: cold (a new
 *    connection per call) vs pooled, 100 calls each;
 * 2. !add-pc --via ssh wall time from the operator's message to the bot's ✅, 5 devices.
 */
async function main(): Promise<void> {
  const facts = readLabFacts();
  if (!facts || !(await labIsUp(facts))) throw new Error("the lab is not up: run npm run lab:up (as root)");
  const count = Number(process.env.BENCH_COUNT ?? 100);
  const config = loadConfig(facts.botConfig).config;
  const key = readPrivateKeyFile(config.ssh.key_file!);
  const target = parseSshTarget(`${facts.hosts.pc2!.viewerUser!}@${facts.hosts.pc2!.ip}`);
  const { fingerprint } = await connectSsh({ target, privateKey: key, expectedFingerprint: undefined }).then(
    (c) => {
      c.client.end();
      return c;
    },
  );
  const manifest: SshManifest = {
    user: target.user,
    allowedBinaries: ["true"],
    pathsAllowed: [],
    maxOutputBytes: 4096,
    timeoutS: 10,
  };
  const dir = mkdtempSync(join(tmpdir(), "meshpilot-bench-ssh-"));
  const audit = new AuditLog(asSqlDatabase(new Database(join(dir, "audit.db"))));
  const log = createLogger({ level: "warn", pretty: false });
  const newPool = (): SshPool =>
    new SshPool({
      privateKeyFor: () => key,
      pinnedFingerprint: () => fingerprint,
      onHostKeyChanged: () => undefined,
      maxChannelsPerHost: 4,
      log,
    });
  const call = async (pool: SshPool): Promise<number> => {
    const [exec] = sshTools({ pool, target, manifest, audit });
    const started = performance.now();
    const result = await exec!.execute({ argv: ["true"] }, { caller: "bench" });
    if (!result.ok) throw new Error(`ssh_exec failed: ${result.output}`);
    return performance.now() - started;
  };

  const cold: number[] = [];
  for (let i = 0; i < count; i++) {
    const pool = newPool();
    cold.push(await call(pool));
    pool.closeAll();
  }
  const pooled: number[] = [];
  const pool = newPool();
  await call(pool);
  for (let i = 0; i < count; i++) pooled.push(await call(pool));
  pool.closeAll();
  console.log(summary('ssh_exec(["true"]) cold (new connection each call)', cold));
  console.log(summary('ssh_exec(["true"]) pooled', pooled));
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  console.log(`pooled is ${(median(cold) / median(pooled)).toFixed(1)}x faster than cold (p50)`);
  rmSync(dir, { recursive: true, force: true });

  BotProcess.wipeState(config.state_dir);
  const bot = new BotProcess(facts, { name: "bench-ssh" });
  await bot.start();
  const operator = await LabMatrixClient.login(
    facts.homeserverUrl,
    facts.operator.user,
    facts.operator.password,
  );
  await operator.start();
  try {
    const room = await operator.resolveAlias(facts.alertsAlias);
    await operator.join(room);
    const adds: number[] = [];
    for (let i = 1; i <= 5; i++) {
      const started = performance.now();
      const sent = await operator.sendText(room, `!add-pc bench-${i} --via ssh --ssh pc2-viewer`);
      const reaction = await operator.waitFor(reactionTo(sent, facts.botUserId), 60_000, "the ✅ on !add-pc");
      adds.push(performance.now() - started);
      if ((reaction.content["m.relates_to"] as { key: string }).key !== "✅")
        throw new Error(`!add-pc bench-${i} failed`);
    }
    console.log(summary("!add-pc --via ssh (message → ✅)", adds));
  } finally {
    await operator.stop();
    await bot.stop();
  }
}

main().catch((error: unknown) => {
  console.error(`bench failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
