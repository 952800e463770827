import { readFileSync } from "node:fs";
import { describeLab } from "./support/lab";
import { BotProcess } from "../../lab/bot-process";
import { LabMatrixClient, isNoticeFrom, reactionTo, type MatrixEvent } from "../../lab/matrix-client";
import { loadConfig } from "../../config/load";
import { ELEMENT_X_TAGS, tagsIn } from "../../bot/html";

const WAIT = 30_000;

describeLab("the bot on a real Synapse", (lab) => {
  let bot: BotProcess;
  let operator: LabMatrixClient;
  let stranger: LabMatrixClient;
  let alertsRoom: string;

  beforeAll(async () => {
    const facts = lab();
    BotProcess.wipeState(loadConfig(facts.botConfig).config.state_dir);
    operator = await LabMatrixClient.login(facts.homeserverUrl, facts.operator.user, facts.operator.password);
    stranger = await LabMatrixClient.login(facts.homeserverUrl, facts.stranger.user, facts.stranger.password);
    await operator.start();
    await stranger.start();
    bot = new BotProcess(facts, { name: "chat" });
    await bot.start();
    // The bot creates the control room (or finds it) and invites the operator.
    alertsRoom = await operator.resolveAlias(facts.alertsAlias);
    await operator.join(alertsRoom);
    await operator
      .request("POST", `/_matrix/client/v3/rooms/${encodeURIComponent(alertsRoom)}/invite`, {
        user_id: facts.stranger.userId,
      })
      .catch(() => undefined); // already invited or joined on a re-run
    await stranger.join(alertsRoom);
  }, 120_000);

  afterAll(async () => {
    await operator?.stop();
    await stranger?.stop();
    await bot?.stop();
  });

  async function command(text: string): Promise<{ sent: string; reply: MatrixEvent }> {
    const sent = await operator.sendText(alertsRoom, text);
    const reply = await operator.waitForAfter(
      sent,
      isNoticeFrom(lab().botUserId, alertsRoom),
      WAIT,
      `the reply to ${text}`,
    );
    return { sent, reply };
  }

  test("!help lists the commands in a notice Element X can render, and the command gets ✅", async () => {
    const { sent, reply } = await command("!help");
    expect(reply.content.msgtype).toBe("m.notice");
    expect(reply.content.body).toContain("!help [command]");
    expect(reply.content.format).toBe("org.matrix.custom.html");
    const tags = tagsIn(String(reply.content.formatted_body));
    expect(tags.length).toBeGreaterThan(0);
    for (const tag of tags) expect(ELEMENT_X_TAGS).toContain(tag);
    const reaction = await operator.waitFor(reactionTo(sent, lab().botUserId), WAIT, "✅ on !help");
    expect((reaction.content["m.relates_to"] as { key: string }).key).toBe("✅");
  });

  test("an unknown command gets one clear sentence and ❌", async () => {
    const { sent, reply } = await command("!nope");
    expect(reply.content.body).toBe("unknown command !nope — try !help");
    const reaction = await operator.waitFor(reactionTo(sent, lab().botUserId), WAIT, "❌ on !nope");
    expect((reaction.content["m.relates_to"] as { key: string }).key).toBe("❌");
  });

  test("a typo gets a did-you-mean hint, bad arguments get the usage line", async () => {
    expect((await command("!hepl")).reply.content.body).toBe(
      "unknown command !hepl — did you mean !help? Try !help for the list",
    );
    expect((await command("!help --verbose")).reply.content.body).toBe(
      "!help has no option --verbose — usage: !help [command]",
    );
    expect((await command("!help add-pc extra")).reply.content.body).toBe(
      "too many arguments for !help — usage: !help [command]",
    );
  });

  test("a non-operator is ignored: no reply, no reaction, only a debug line", async () => {
    const ignored = await stranger.sendText(alertsRoom, "!help");
    // Then the operator asks: once the bot has answered that, it has long seen the stranger's message.
    const { reply } = await command("!help");
    const botEvents = operator.events.filter(
      (e) =>
        e.sender === lab().botUserId &&
        e.room_id === alertsRoom &&
        operator.isAfter(e, ignored) &&
        isBefore(operator, e, reply.event_id),
    );
    expect(botEvents.filter((e) => e.type === "m.room.message")).toEqual([]);
    expect(operator.events.find(reactionTo(ignored, lab().botUserId))).toBeUndefined();
  });

  test("a transaction the homeserver re-sends after a restart is not handled twice", async () => {
    const facts = lab();
    const hsToken = readFileSync(loadConfig(facts.botConfig).config.appservice.hs_token_file!, "utf8").trim();
    const botUrl = `http://${facts.hosts.hub!.uplinkIp}:9000`;
    const eventId = await operator.sendText(alertsRoom, "(a message replayed below as a transaction)");
    const txn = {
      events: [
        {
          type: "m.room.message",
          room_id: alertsRoom,
          sender: facts.operator.userId,
          event_id: eventId,
          origin_server_ts: Date.now(),
          content: { msgtype: "m.text", body: "!help help" },
        },
      ],
    };
    const put = (): Promise<Response> =>
      fetch(`${botUrl}/_matrix/app/v1/transactions/replay-${eventId}`, {
        method: "PUT",
        headers: { authorization: `Bearer ${hsToken}`, "content-type": "application/json" },
        body: JSON.stringify(txn),
      });
    expect((await put()).status).toBe(200);
    await operator.waitFor(
      (e) =>
        isNoticeFrom(facts.botUserId, alertsRoom)(e) && String(e.content.body).startsWith("!help [command]"),
      WAIT,
      "reply to the replayed !help help",
    );
    await bot.stop();
    await bot.start();
    expect((await put()).status).toBe(200);
    // A fresh command proves the bot is processing; the replay must not have produced a second answer.
    await command("!help");
    const answers = operator.events.filter(
      (e) =>
        isNoticeFrom(facts.botUserId, alertsRoom)(e) && String(e.content.body).startsWith("!help [command]"),
    );
    expect(answers).toHaveLength(1);
  }, 120_000);

  test("a wrong hs_token is refused by the appservice listener", async () => {
    const facts = lab();
    const response = await fetch(
      `http://${facts.hosts.hub!.uplinkIp}:9000/_matrix/app/v1/transactions/forged-1`,
      {
        method: "PUT",
        headers: { authorization: "Bearer not-the-token", "content-type": "application/json" },
        body: JSON.stringify({ events: [] }),
      },
    );
    expect(response.status).toBe(401);
  });
});

/** Order as the homeserver delivered it to the client's /sync. */
function isBefore(client: LabMatrixClient, e: MatrixEvent, eventId: string): boolean {
  const anchor = client.events.findIndex((x) => x.event_id === eventId);
  return anchor >= 0 && client.events.indexOf(e) < anchor;
}
