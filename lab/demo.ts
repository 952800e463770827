import { readLabFacts, labIsUp } from "./facts";
import { startBotDaemon } from "./bot-process";
import { LabMatrixClient, isNoticeFrom, reactionTo } from "./matrix-client";
import { OperatorView } from "./operator-view";

/**
 * The operator's side of a short conversation with the bot, on the lab, printed as the
 * operator would read it. Leaves the bot and the lab running for a look from Element.
 */
async function main(): Promise<void> {
  const facts = readLabFacts();
  if (!facts || !(await labIsUp(facts))) throw new Error("the lab is not up: run npm run lab:up (as root)");
  console.log("meshpilot demo — the operator's view of #operator-alerts\n");
  const { pid, logFile } = await startBotDaemon(facts);
  const operator = await LabMatrixClient.login(
    facts.homeserverUrl,
    facts.operator.user,
    facts.operator.password,
  );
  await operator.start();
  const room = await operator.resolveAlias(facts.alertsAlias);
  await operator.join(room);
  const view = new OperatorView(operator, { [facts.botUserId]: "meshpilot" });
  const WAIT = 30_000;

  for (const text of ["!help", "!helth", "!help help"]) {
    const sent = await view.say(room, text);
    const reply = await operator.waitForAfter(
      sent,
      isNoticeFrom(facts.botUserId, room),
      WAIT,
      `the reply to ${text}`,
    );
    view.show(reply);
    view.show(await operator.waitFor(reactionTo(sent, facts.botUserId), WAIT, `the reaction to ${text}`));
  }
  await operator.stop();

  console.log(`
The lab is still running, and so is the bot (pid ${pid}, log ${logFile}).
Look around with Element (web or desktop, on this machine):
  homeserver  ${facts.homeserverUrlLocal}
  user        ${facts.operator.user}   (${facts.operator.userId})
  password    ${facts.operator.password}
  room        ${facts.alertsAlias}
Stop everything with: npm run lab:down`);
}

main().catch((error: unknown) => {
  console.error(`demo failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
