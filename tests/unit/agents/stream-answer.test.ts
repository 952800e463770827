import { AnswerStream } from "../../../agents/stream-answer";
import { memoryLogger } from "../support/fakes";
import { ManualClock, recordingRoom } from "./stream-clock";

type Content = Record<string, unknown>;
const OP = "@op:example.org";
const isEdit = (c: Content): boolean => c["m.relates_to"] !== undefined;
/** New events only (not edits): what can push under Synapse's default rules. */
const newEvents = (sent: Array<{ content: Content }>): Content[] =>
  sent.map((s) => s.content).filter((c) => !isEdit(c));
const shownAs = (sent: Array<{ content: Content }>, eventIndex: number): Content => {
  const id = `$e${eventIndex + 1}`;
  const edits = sent
    .map((s) => s.content)
    .filter((c) => (c["m.relates_to"] as { event_id?: string } | undefined)?.event_id === id);
  return (edits.length ? edits[edits.length - 1]!["m.new_content"] : sent[eventIndex]!.content) as Content;
};

function setup(pushAfterMs = 20_000) {
  const clock = new ManualClock();
  const room = recordingRoom(clock);
  const answers = new AnswerStream(room.send, {
    caller: OP,
    pushAfterMs,
    maxChars: 16_000,
    log: memoryLogger().log,
    clock,
  });
  const stream = async (text: string, pieceMs: number): Promise<void> => {
    for (const word of text.split(/(?<= )/)) {
      answers.text(word);
      await clock.advance(pieceMs);
    }
  };
  return { clock, room, answers, stream };
}

describe("AnswerStream: the push rule (llm.push_after_s)", () => {
  test("a quick turn: one streamed message that ends as m.text by an edit; nothing new, nobody mentioned", async () => {
    const { room, answers, stream } = setup();
    const text = "The disk is 42% full and the biggest directory is /var/log.";
    await stream(text, 300);
    await answers.done(text, true);
    const fresh = newEvents(room.sent);
    expect(fresh).toHaveLength(1);
    expect(fresh[0]!.msgtype).toBe("m.notice");
    expect(shownAs(room.sent, 0)).toMatchObject({ msgtype: "m.text", body: text });
    expect(room.sent.every((s) => JSON.stringify(s.content["m.mentions"]) === "{}")).toBe(true);
    expect(answers.stats).toEqual({ messages: 1, sends: room.sent.length, pushed: 0 });
  });

  test("a long turn: the draft stays a notice and the whole answer comes once more as an m.text mentioning the operator", async () => {
    const { clock, room, answers, stream } = setup(20_000);
    await clock.advance(19_000); // tools and approvals took their time
    const text = "All three services are up again; nginx needed a restart.";
    await stream(text, 400);
    await answers.done(text, true);
    const fresh = newEvents(room.sent);
    expect(fresh.map((c) => c.msgtype)).toEqual(["m.notice", "m.text"]);
    expect(shownAs(room.sent, 0)).toMatchObject({ msgtype: "m.notice", body: text });
    expect(fresh[1]).toEqual({
      msgtype: "m.text",
      body: text,
      format: "org.matrix.custom.html",
      formatted_body: text,
      "m.mentions": { user_ids: [OP] },
    });
    expect(answers.stats.pushed).toBe(1);
  });

  test("tool rounds: each reply streams into its own message; only the final reply of a long turn pushes", async () => {
    const { clock, room, answers, stream } = setup(5_000);
    await stream("Let me look at the logs.", 200);
    await answers.done("Let me look at the logs.", false);
    await clock.advance(10_000); // the tool runs; the turn is now long
    await stream("Still checking.", 200);
    await answers.done("Still checking.", false);
    await stream("Found it: the disk was full.", 200);
    await answers.done("Found it: the disk was full.", true);
    const fresh = newEvents(room.sent);
    expect(fresh.map((c) => [c.msgtype, c.body])).toEqual([
      ["m.notice", expect.stringMatching(/^Let/)],
      ["m.notice", expect.stringMatching(/^Still/)],
      ["m.notice", expect.stringMatching(/^Found/)],
      ["m.text", "Found it: the disk was full."],
    ]);
    expect(shownAs(room.sent, 0)).toMatchObject({ msgtype: "m.text", body: "Let me look at the logs." });
    expect(fresh.filter((c) => JSON.stringify(c["m.mentions"]) !== "{}")).toHaveLength(1);
  });

  test("a reply that never streamed is one m.text: plain when quick, mentioning the operator when long", async () => {
    const quick = setup();
    await quick.answers.done("ok", true);
    expect(newEvents(quick.room.sent)).toEqual([expect.objectContaining({ msgtype: "m.text", body: "ok" })]);
    expect(quick.room.sent[0]!.content["m.mentions"]).toEqual({});

    const long = setup(1000);
    await long.clock.advance(1500);
    await long.answers.done("late", true);
    expect(newEvents(long.room.sent)).toEqual([
      expect.objectContaining({ msgtype: "m.text", body: "late", "m.mentions": { user_ids: [OP] } }),
    ]);
  });

  test("a reply that broke off: what arrived lands, marked, as m.text; the next reply starts a new message", async () => {
    const { room, answers, stream } = setup();
    await stream("The answer is forty", 100);
    await answers.abandon();
    expect(shownAs(room.sent, 0)).toMatchObject({
      msgtype: "m.text",
      body: "The answer is forty …\n\n[the answer broke off here]",
    });
    await answers.abandon(); // nothing open: nothing sent
    expect(newEvents(room.sent)).toHaveLength(1);
  });
});
