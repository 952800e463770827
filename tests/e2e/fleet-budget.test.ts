import { AnthropicStandIn, say, withUsage } from "../../lab/anthropic-standin";
import type { MatrixEvent } from "../../lab/matrix-client";
import { STANDIN_KEY, writeAgentsConfig } from "./support/agents";
import { joinDeviceRoom, revokeDevice, type DeviceRoom } from "./support/device-room";
import { describeLab } from "./support/lab";
import { LabSession, WAIT } from "./support/session";

const DEVICE = "fbb1";
const MODEL = "claude-sonnet-4-5";
/** A tiny daily limit: one reply of 1,100 tokens uses it up. */
const LIMIT = 1000;

/**
 * Spending on the lab: the real bot, Synapse, an SSH-only device (fbb1 → pc2), the SDK against
 * the stand-in, whose replies carry exact usage numbers. One reply uses the room's daily
 * limit up; the next message gets one sentence and no model request; !budget fbb1 +N lets the
 * following one through; !usage shows the tokens and the cost from llm.prices.
 */
describeLab("spending: a daily token limit stops a room and !budget lifts it", (lab) => {
  let standIn: AnthropicStandIn;
  let session: LabSession;
  let device: DeviceRoom;

  const bodyOf = (e: MatrixEvent): string => {
    const edited = (e.content["m.new_content"] as { body?: unknown } | undefined)?.body;
    const body = edited ?? e.content.body;
    return typeof body === "string" ? body : "";
  };
  /** The agent's message (streamed or not) after `after` whose text is exactly `text`. */
  const said = (after: string, text: string): Promise<MatrixEvent> =>
    session.operator.waitForAfter(
      after,
      (e) => e.room_id === device.room && e.sender === device.agent && bodyOf(e) === text,
      WAIT,
      `the agent saying ${text}`,
    );
  const command = async (text: string): Promise<string> => {
    const { sent, reaction } = await session.command(text);
    if (reaction !== "✅") throw new Error(`${text} was answered ${reaction}`);
    return session.noticeAfter(sent) ?? "";
  };

  beforeAll(async () => {
    const facts = lab();
    standIn = await AnthropicStandIn.start({ apiKey: STANDIN_KEY });
    const configFile = writeAgentsConfig(facts, "fleet-budget", {
      base_url: standIn.url,
      model: MODEL,
      daily_token_limit: LIMIT,
      daily_token_limit_total: 1_000_000,
      prices: { [MODEL]: { input_per_mtok: 3, output_per_mtok: 15 } },
    });
    session = new LabSession(facts, "fleet-budget", {}, { configFile });
    await session.start();
    const { reaction } = await session.command(`!add-pc ${DEVICE} --via ssh --ssh pc2-viewer`);
    if (reaction !== "✅") throw new Error(`could not add ${DEVICE}`);
    device = await joinDeviceRoom(session, facts, DEVICE);
  }, 180_000);

  afterAll(async () => {
    if (session && device) await revokeDevice(session, lab(), DEVICE);
    await session?.stop();
    await standIn?.stop();
  }, 120_000);

  test("past the limit: one sentence, no model call; !budget +N lets the next message through", async () => {
    standIn.script(withUsage(say("first answer"), { input_tokens: 800, output_tokens: 300 }));
    const first = await session.operator.sendText(device.room, "hello");
    await said(first, "first answer");
    expect(standIn.requests).toHaveLength(1);

    const day = new Date().toISOString().slice(0, 10);
    const second = await session.operator.sendText(device.room, "and again");
    const stopped = await said(
      second,
      `Today's token budget for ${DEVICE} is used up (1,100 of 1,000 tokens), so I won't call the model until 00:00 UTC (day ${day} ends) or until an operator runs !budget ${DEVICE} +N.`,
    );
    expect(stopped.content.msgtype).toBe("m.text");
    expect(standIn.requests).toHaveLength(1);

    expect(await command(`!budget ${DEVICE} +5000`)).toBe(
      `Added 5,000 tokens to ${DEVICE}'s budget for today (${day} UTC): 1,100 of 6,000 used.`,
    );
    standIn.script(withUsage(say("third answer"), { input_tokens: 1000, output_tokens: 100 }));
    const third = await session.operator.sendText(device.room, "now?");
    await said(third, "third answer");
    expect(standIn.requests).toHaveLength(2);

    // 1,800 input and 400 output tokens at $3 and $15 a million: $0.0114, shown as $0.01.
    const usage = await command("!usage");
    const lines = usage.split("\n");
    const row = (name: string): string => `${name.padEnd(10)}   2.2k   $0.01   2.2k   $0.01`;
    expect(lines).toContain(row(DEVICE));
    expect(lines).toContain(row("all"));
    expect(lines.every((l) => l.length <= 40)).toBe(true);
  }, 180_000);

  test("bad !budget input is one sentence and changes nothing", async () => {
    const { sent, reaction } = await session.command(`!budget ${DEVICE} 5000`);
    expect(reaction).toBe("❌");
    expect(session.noticeAfter(sent)).toBe(
      "say how many tokens to add as +N, from +1 to +100,000,000 (not 5000) — usage: !budget <device|all> +N",
    );
  }, 120_000);
});
