import { dispatchCommand, type RoomMessage } from "../../../bot/dispatch";
import { createCommandTable } from "../../../bot/commands/table";
import { helpCommand } from "../../../bot/commands/help";
import type { Command, CommandContext } from "../../../bot/commands/types";
import { ReportedFailure, UserError } from "../../../common/errors";
import { RecordingPort, memoryLogger } from "../support/fakes";

const OPERATOR = "@you:example.org";

function setup(extra: Command[] = []) {
  const port = new RecordingPort();
  const { log, lines } = memoryLogger();
  const table = createCommandTable([helpCommand(() => table), ...extra]);
  const deps = { table, operators: new Set([OPERATOR]), matrix: port, log };
  const say = (body: string, sender = OPERATOR, msgtype = "m.text"): Promise<boolean> =>
    dispatchCommand(deps, {
      roomId: "!room",
      eventId: "$cmd",
      sender,
      msgtype,
      body,
    } satisfies RoomMessage);
  return { port, lines, say };
}

const failing = (name: string, error: Error): Command => ({
  name,
  summary: "always fails",
  usage: `!${name}`,
  args: { positionals: [], flags: {} },
  run: () => Promise.reject(error),
});

describe("command dispatch", () => {
  test("!help answers with a notice and reacts ✅", async () => {
    const { port, say } = setup();
    expect(await say("!help")).toBe(true);
    expect(port.sent).toHaveLength(1);
    expect(port.sent[0]!.content.msgtype).toBe("m.notice");
    expect(port.sent[0]!.content.body).toMatch(/^meshpilot commands:\n!help \[command\] — /);
    expect(port.reactions).toEqual([{ roomId: "!room", eventId: "$cmd", key: "✅" }]);
  });

  test("a non-operator is ignored and logged at debug", async () => {
    const { port, lines, say } = setup();
    expect(await say("!help", "@mallory:example.org")).toBe(false);
    expect(port.sent).toEqual([]);
    expect(port.reactions).toEqual([]);
    expect(lines()).toContainEqual(expect.objectContaining({ level: 20, sender: "@mallory:example.org" }));
  });

  test("an operator is matched by the whole MXID: the same localpart on another server is not obeyed", async () => {
    const { port, say } = setup();
    expect(await say("!help", "@you:evil.org")).toBe(false);
    expect(await say("!help", "@you:example.org.evil.org")).toBe(false);
    expect(await say("!help", "@YOU:example.org")).toBe(false);
    expect(port.sent).toEqual([]);
    expect(port.reactions).toEqual([]);
  });

  test("ordinary chat and the bot's own messages are not commands", async () => {
    const { port, say } = setup();
    expect(await say("hello there")).toBe(false);
    expect(await say("!help", port.userId)).toBe(false);
    expect(port.sent).toEqual([]);
  });

  test("an unknown command says so and reacts ❌", async () => {
    const { port, say } = setup();
    await say("!frobnicate");
    expect(port.sent[0]!.content.body).toBe("unknown command !frobnicate — try !help");
    expect(port.reactions[0]!.key).toBe("❌");
  });

  test("a UserError's sentence reaches the operator as it is", async () => {
    const { port, say } = setup([failing("boom", new UserError("pc1 is not a device — see !devices"))]);
    await say("!boom");
    expect(port.sent[0]!.content.body).toBe("pc1 is not a device — see !devices");
    expect(port.reactions[0]!.key).toBe("❌");
  });

  test("an internal error shows only a reference, which is in the log with the details", async () => {
    const { port, lines, say } = setup([
      failing("crash", new Error("secret detail: ECONNRESET at 10.0.0.1")),
    ]);
    await say("!crash");
    const body = String(port.sent[0]!.content.body);
    expect(body).toMatch(/^internal error, reference [0-9a-f]{4} — /);
    expect(body).not.toContain("secret detail");
    const reference = body.match(/reference ([0-9a-f]{4})/)![1];
    expect(lines()).toContainEqual(expect.objectContaining({ level: 50, reference }));
  });

  test("a near miss is answered with the closest command; a bare ! says it is not a command", async () => {
    const { port, say } = setup();
    expect(await say("!hlep")).toBe(true);
    expect(await say("!")).toBe(true);
    expect(port.sent.map((m) => m.content.body)).toEqual([
      "unknown command !hlep — did you mean !help? Try !help for the list",
      "that is not a command — try !help",
    ]);
    expect(port.reactions.map((r) => r.key)).toEqual(["❌", "❌"]);
  });

  test("only m.text is a command: a notice or an emote starting with ! is not", async () => {
    const { port, say } = setup();
    expect(await say("!help", OPERATOR, "m.notice")).toBe(false);
    expect(await say("!help", OPERATOR, "m.emote")).toBe(false);
    expect(port.sent).toEqual([]);
    expect(port.reactions).toEqual([]);
  });

  test("a command gets its context: sender, room, event, a reply as a notice, a tell that mentions the sender, progress", async () => {
    let seen: CommandContext | undefined;
    const probe: Command = {
      name: "probe",
      summary: "uses its context",
      usage: "!probe",
      args: { positionals: [], flags: {} },
      run: async (ctx) => {
        seen = ctx;
        await ctx.reply({ body: "plain answer" });
        await ctx.tell({ body: "you should know" });
        const progress = await ctx.startProgress({ body: "step 1" });
        await progress.finish({ body: "done" });
      },
    };
    const { port, say } = setup([probe]);
    expect(await say("!probe")).toBe(true);
    expect(seen).toMatchObject({ sender: OPERATOR, roomId: "!room", eventId: "$cmd", viaVoice: false });
    expect(port.sent.map((m) => [m.content.msgtype, m.content.body])).toEqual([
      ["m.notice", "plain answer"],
      ["m.text", "you: you should know"],
      ["m.notice", "step 1"],
      ["m.notice", "* done"],
    ]);
    expect(port.sent[1]!.content["m.mentions"]).toEqual({ user_ids: [OPERATOR] });
    expect(port.sent[3]!.content["m.relates_to"]).toMatchObject({
      rel_type: "m.replace",
      event_id: "$sent3",
    });
    expect(port.reactions).toEqual([{ roomId: "!room", eventId: "$cmd", key: "✅" }]);
  });

  test("a failure the command already reported is only marked ❌, with no second message", async () => {
    const { port, lines, say } = setup([failing("run", new ReportedFailure("step 3 failed"))]);
    expect(await say("!run")).toBe(true);
    expect(port.sent).toEqual([]);
    expect(port.reactions).toEqual([{ roomId: "!room", eventId: "$cmd", key: "❌" }]);
    expect(lines()).toContainEqual(expect.objectContaining({ reason: "step 3 failed", cmd: "run" }));
  });

  test("a message that is all quote, or quotes a command without one of its own, is not a command", async () => {
    const { port, say } = setup();
    expect(await say("> !help")).toBe(false);
    expect(await say("> <@bot:example.org> !help\n\nthanks")).toBe(false);
    expect(await say("  !help  ")).toBe(true);
    // After the quote, the command's own lines stay lines: "!help" with the argument "add-pc".
    expect(await say("> <@bot:example.org> earlier\n\n!help\nhelp")).toBe(true);
    expect(port.sent).toHaveLength(2);
    expect(port.sent[1]!.content.body).toMatch(/^!help \[command\]/);
  });

  test("a quoted reply fallback before the command is skipped", async () => {
    const { port, say } = setup();
    await say("> <@bot:example.org> earlier\n\n!help");
    expect(port.sent[0]!.content.body).toMatch(/^meshpilot commands:/);
  });
});
