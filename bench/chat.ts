import { BotProcess } from "../lab/bot-process";
import { labIsUp, readLabFacts } from "../lab/facts";
import { LabMatrixClient, isNoticeFrom, reactionTo } from "../lab/matrix-client";
import { loadConfig } from "../config/load";
import { summary } from "./stats";

/**
 * Round trip of `!help` on the lab: the operator's client sends, the bot's notice arrives
 * through the client's /sync. 100 messages, one at a time (each after the previous ✅),
 * after 5 warm-up rounds; prints p50/p95.
 */
async function main(): Promise<void> {
  const count = Number(process.env.BENCH_COUNT ?? 100);
  const facts = readLabFacts();
  if (!facts || !(await labIsUp(facts))) throw new Error("the lab is not up: run npm run lab:up (as root)");
  BotProcess.wipeState(loadConfig(facts.botConfig).config.state_dir);
  const bot = new BotProcess(facts, { name: "bench-chat" });
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
    const samples: number[] = [];
    for (let i = 0; i < count + 5; i++) {
      const started = performance.now();
      const sent = await operator.sendText(room, "!help");
      await operator.waitForAfter(sent, isNoticeFrom(facts.botUserId, room), 30_000, "the reply to !help");
      if (i >= 5) samples.push(performance.now() - started); // the first few warm up caches
      // The bot's ✅ comes after its notice; let it land so one round trip does not queue behind another.
      await operator.waitFor(reactionTo(sent, facts.botUserId), 30_000, "the ✅ on !help");
    }
    console.log(summary("!help round trip (operator send → notice via /sync)", samples));
  } finally {
    await operator.stop();
    await bot.stop();
  }
}

main().catch((error: unknown) => {
  console.error(`bench failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
