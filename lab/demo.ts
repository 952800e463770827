import { AnthropicStandIn, callTool, lastToolResults, say } from "./anthropic-standin";
import { startBotDaemon, BotProcess } from "./bot-process";
import { cleanHosts, DEMO_MODEL_KEY, onPc1, writeDemoConfig } from "./demo-setup";
import { labIsUp, readLabFacts } from "./facts";
import { LabMatrixClient, reactionTo, type MatrixEvent } from "./matrix-client";
import { OperatorView } from "./operator-view";
import { join } from "node:path";
import { loadConfig } from "../config/load";
import { HealthStore } from "../health/store";
import { openDatabase } from "../state/db";
import { BOT_MIGRATIONS } from "../state/migrations";

const WAIT = 180_000;

/**
 * The operator's day on the lab, printed as the operator reads it: !help, a PC added to
 * the mesh, a question answered by its agent through a real tool call (the model is a
 * local stand-in, labelled as such), an SSH-only PC, !health, a tunnel that drops and
 * comes back, and a revoke with its confirmation code. Fails loudly if any step does.
 * Leaves the lab and the bot running for a look from Element.
 */
async function main(): Promise<void> {
  const facts = readLabFacts();
  if (!facts || !(await labIsUp(facts))) throw new Error("the lab is not up: run npm run lab:up (as root)");
  const standIn = await AnthropicStandIn.start({ host: facts.hosts.hub!.uplinkIp!, apiKey: DEMO_MODEL_KEY });
  const configFile = writeDemoConfig(facts, standIn.url);
  cleanHosts(facts);
  const stateDir = loadConfig(configFile).config.state_dir;
  BotProcess.wipeState(stateDir);
  console.log(
    "meshpilot demo — the operator's view (model: a LOCAL STAND-IN of the Anthropic API, scripted)\n",
  );
  const { pid, logFile } = await startBotDaemon(facts, 60_000, configFile);
  const operator = await LabMatrixClient.login(
    facts.homeserverUrl,
    facts.operator.user,
    facts.operator.password,
  );
  await operator.start();
  const alerts = await operator.resolveAlias(facts.alertsAlias);
  await operator.join(alerts);
  const view = new OperatorView(operator, {
    [facts.botUserId]: "meshpilot",
    "@agent-pc1:meshpilot.test": "agent-pc1",
  });
  const fromBot = (room: string) => (e: MatrixEvent) =>
    e.sender === facts.botUserId && e.room_id === room && e.type === "m.room.message";
  const latest = (e: MatrixEvent): MatrixEvent => {
    const edits = operator.events.filter(
      (x) =>
        (x.content["m.relates_to"] as { event_id?: string } | undefined)?.event_id === e.event_id &&
        x.content["m.new_content"],
    );
    const last = edits[edits.length - 1];
    return last ? { ...e, content: last.content["m.new_content"] as Record<string, unknown> } : e;
  };
  const command = async (text: string): Promise<string> => {
    const sent = await view.say(alerts, text);
    const reaction = await operator.waitFor(
      reactionTo(sent, facts.botUserId),
      WAIT,
      `the bot's answer to ${text}`,
    );
    for (const e of operator.events.filter(
      (x) =>
        fromBot(alerts)(x) &&
        operator.isAfter(x, sent) &&
        !(x.content["m.relates_to"] as { rel_type?: string } | undefined),
    )) {
      if (operator.isAfter(e, reaction.event_id)) break;
      view.show(latest(e));
    }
    view.show(reaction);
    const key = (reaction.content["m.relates_to"] as { key: string }).key;
    if (key !== "✅") throw new Error(`${text} failed (the bot reacted ${key}); bot log: ${logFile}`);
    return sent;
  };
  const alertMatching = async (anchor: string, pattern: RegExp): Promise<string> => {
    const event = await operator.waitForAfter(
      anchor,
      (e) => fromBot(alerts)(e) && pattern.test(String(e.content.body)),
      WAIT,
      String(pattern),
    );
    view.show(event);
    return String(event.content.body);
  };

  await command("!help");
  view.note("Add a PC to the mesh: keys, hub peer, tunnel, device agent, agent user and room.");
  await command("!add-pc pc1 --via wg --ssh pc1-admin");

  view.note("Ask pc1's agent something; it answers from a real tool call on pc1.");
  const room = await operator.resolveAlias("#device-pc1:meshpilot.test");
  await operator.waitForInvite((id) => id === room, WAIT);
  await operator.join(room);
  standIn.script(
    callTool("fs_list", { path: "/home/lucas" }, "Let me look at your home directory."),
    (request) =>
      say(`Your home directory on pc1 holds:\n${lastToolResults(request)[0]?.content ?? "(nothing)"}`),
  );
  const question = await view.say(room, "What is in my home directory?");
  const answer = await operator.waitForAfter(
    question,
    (e) =>
      e.sender === "@agent-pc1:meshpilot.test" && String(e.content.body).startsWith("Your home directory"),
    WAIT,
    "the agent's answer",
  );
  for (const e of operator.events.filter(
    (x) =>
      x.room_id === room &&
      x.sender !== facts.operator.userId &&
      x.type === "m.room.message" &&
      operator.isAfter(x, question) &&
      operator.isAfter(answer, x.event_id),
  ))
    view.show(e);
  view.show(answer);

  view.note("An SSH-only machine: nothing installed, read-only tools, audited on the bot.");
  await command("!add-pc pc2 --via ssh --ssh pc2-viewer");
  // The monitor sweeps every 2 s here: ask once it has looked at both devices.
  await untilChecked(stateDir, ["pc1", "pc2"]);
  await command("!health");

  view.note("pc1's tunnel drops (wg-quick down on pc1)…");
  const anchor = await operator.sendText(alerts, "(pc1's tunnel goes down now)");
  onPc1(facts, `sudo -n wg-quick down ${facts.mesh.interface}`);
  // One push opens the incident; if a failed probe opened it unreachable, it turns stale by an edit (no push).
  const opened = await alertMatching(
    anchor,
    /^\S+: \[ALERT\] device_id=pc1 status=(stale|unreachable) \(.*\) incident #\d+/,
  );
  const incident = /incident #(\d+)/.exec(opened)![1]!;
  if (!/ status=stale /.test(opened))
    await alertMatching(
      anchor,
      new RegExp(`\\[ALERT\\] device_id=pc1 status=stale \\(.*\\) incident #${incident}`),
    );
  view.note("…and comes back.");
  onPc1(
    facts,
    `sudo -n env WG_QUICK_USERSPACE_IMPLEMENTATION=wireguard-go WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD=1 wg-quick up ${facts.mesh.interface}`,
  );
  await alertMatching(
    anchor,
    new RegExp(`^\\S+: \\[RESOLVED\\] device_id=pc1 incident #${incident} online again \\(was down `),
  );

  view.note("Take pc1 away, with a confirmation code.");
  const ask = await command("!revoke pc1");
  const codeMessage = operator.events.find(
    (e) =>
      fromBot(alerts)(e) &&
      operator.isAfter(e, ask) &&
      /--confirm ([A-Z0-9]{4,})/.test(String(e.content.body)),
  );
  const code = String(codeMessage?.content.body).match(/--confirm ([A-Z0-9]{4,})/)?.[1];
  if (!code) throw new Error("no confirmation code in the bot's answer to !revoke pc1");
  await command(`!revoke pc1 --confirm ${code}`);
  await operator.stop();
  await standIn.stop();

  console.log(`
The lab is still running, and so is the bot (pid ${pid}, log ${logFile}); the model stand-in
stopped with the demo, so agents now answer that the model is unreachable — point llm:
in ${configFile} at the real API to chat. Look around with Element (web or desktop, on this machine):
  homeserver  ${facts.homeserverUrlLocal}
  user        ${facts.operator.user}   (${facts.operator.userId})
  password    ${facts.operator.password}
  rooms       ${facts.alertsAlias}, #device-pc2:meshpilot.test
From a phone on the same network: run MESHPILOT_LAB_PUBLIC=1 npm run lab:up first, then use
http://<this machine's address>:8008 as the homeserver in Element.
Stop everything with: npm run lab:down`);
}

/** Waits (polling the bot's own state, 60 s at most) until the health monitor has checked every named device. */
async function untilChecked(stateDir: string, names: readonly string[]): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const db = openDatabase(join(stateDir, "meshpilot.db"), BOT_MIGRATIONS);
    const health = new HealthStore(db);
    const pending = names.filter((name) => !health.get(name));
    db.close();
    if (pending.length === 0) return;
    if (Date.now() > deadline) throw new Error(`the health monitor never checked ${pending.join(", ")}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

main().catch((error: unknown) => {
  console.error(`\ndemo failed: ${error instanceof Error ? error.message : String(error)}`);
  console.error(
    `the bot's log and the lab's files are under ${readLabFacts()?.labDir ?? "the lab directory"}`,
  );
  // Open sockets (Matrix client, stand-in) would keep a failed demo alive: end it now.
  process.exit(1);
});
