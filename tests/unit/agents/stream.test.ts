import { StreamedMessage } from "../../../agents/stream";
import { STREAM_MAX_CHARS, streamedText } from "../../../agents/stream-content";
import { memoryLogger } from "../support/fakes";
import { ManualClock, recordingRoom, settle } from "./stream-clock";

type Content = Record<string, unknown>;
const isEdit = (c: Content): boolean =>
  (c["m.relates_to"] as { rel_type?: string } | undefined)?.rel_type === "m.replace";

describe("StreamedMessage: one message edited in place, coalesced", () => {
  test("30 pieces over 3 s: one post and at most 4 edits, a second apart; the last text lands as m.text", async () => {
    const clock = new ManualClock();
    const room = recordingRoom(clock);
    const message = new StreamedMessage(room.send, memoryLogger().log, clock);
    const pieces = Array.from({ length: 30 }, (_, i) => `word${i} `);
    for (const piece of pieces) {
      message.append(piece);
      await clock.advance(100);
    }
    const whole = pieces.join("").trim();
    expect(await message.finish(whole, "m.text")).toBe("$e1");

    const [post, ...edits] = room.sent;
    expect(post!.content).toMatchObject({ msgtype: "m.notice", body: "word0 " });
    expect(isEdit(post!.content)).toBe(false);
    expect(edits.length).toBeGreaterThanOrEqual(2);
    expect(edits.length).toBeLessThanOrEqual(4);
    for (const [i, edit] of edits.entries()) {
      expect(isEdit(edit.content)).toBe(true);
      expect(edit.content["m.relates_to"]).toEqual({ rel_type: "m.replace", event_id: "$e1" });
      const next = edit.content["m.new_content"] as Content;
      // m.new_content repeats msgtype and format, or the message would change type.
      expect(next).toMatchObject({ format: "org.matrix.custom.html" });
      expect(typeof next.formatted_body).toBe("string");
      expect(next.msgtype).toBe(i === edits.length - 1 ? "m.text" : "m.notice");
      expect(edit.content.body).toBe(`* ${String(next.body)}`);
      expect(edit.content["m.mentions"]).toEqual({});
      // Coalesced: the timed edits are at least a second apart (the final one goes at once).
      if (i > 0 && i < edits.length - 1) expect(edit.at - edits[i - 1]!.at).toBeGreaterThanOrEqual(1000);
    }
    const last = edits[edits.length - 1]!.content["m.new_content"] as Content;
    expect(last.body).toBe(whole);
    expect(message.sends).toBe(room.sent.length);
  });

  test("a send slower than the interval: what waited behind it merges into one send of the newest text", async () => {
    const clock = new ManualClock();
    const sent: Content[] = [];
    const releases: Array<() => void> = [];
    const send = (content: Content): Promise<string> => {
      sent.push(content);
      return new Promise((resolve) => releases.push(() => resolve(`$e${sent.length}`)));
    };
    const message = new StreamedMessage(send, memoryLogger().log, clock);
    message.append("one");
    await settle();
    for (let i = 0; i < 5; i++) {
      message.append(` two${i}`);
      await clock.advance(1000);
    }
    expect(sent).toHaveLength(1); // the post is still out
    releases.shift()!();
    await settle();
    expect(sent).toHaveLength(2);
    expect((sent[1]!["m.new_content"] as Content).body).toBe("one two0 two1 two2 two3 two4");
    releases.shift()!();
    const done = message.finish("one two0 two1 two2 two3 two4", "m.text");
    await settle();
    releases.shift()!();
    await done;
    expect(sent).toHaveLength(3);
    expect((sent[2]!["m.new_content"] as Content).msgtype).toBe("m.text");
  });

  test("whitespace alone posts nothing; finish without streamed text posts the text once", async () => {
    const clock = new ManualClock();
    const room = recordingRoom(clock);
    const message = new StreamedMessage(room.send, memoryLogger().log, clock);
    message.append("\n  ");
    await clock.advance(2000);
    expect(room.sent).toHaveLength(0);
    expect(message.started).toBe(false);
    await message.finish("Done.", "m.text");
    expect(room.sent.map((s) => s.content)).toEqual([
      {
        msgtype: "m.text",
        body: "Done.",
        format: "org.matrix.custom.html",
        formatted_body: "Done.",
        "m.mentions": {},
      },
    ]);
  });

  test("the final text equal to what is shown, same type: no extra edit", async () => {
    const clock = new ManualClock();
    const room = recordingRoom(clock);
    const message = new StreamedMessage(room.send, memoryLogger().log, clock);
    message.append("same");
    await clock.advance(10);
    await message.finish("same", "m.notice");
    expect(room.sent).toHaveLength(1);
  });

  test("a failed post is logged and the next send posts again with the newer text", async () => {
    const clock = new ManualClock();
    const logger = memoryLogger();
    let calls = 0;
    const sent: Content[] = [];
    const send = (content: Content): Promise<string> =>
      ++calls === 1
        ? Promise.reject(new Error("M_LIMIT_EXCEEDED"))
        : Promise.resolve(String(sent.push(content)));
    const message = new StreamedMessage(send, logger.log, clock);
    message.append("first");
    await settle();
    message.append(" second");
    await clock.advance(1000);
    expect(sent).toEqual([expect.objectContaining({ msgtype: "m.notice", body: "first second" })]);
    expect(logger.lines().some((l) => l.msg === "could not post or edit the streamed answer")).toBe(true);
  });

  test("HTML is escaped, `code` is <code>, and an edit with the longest text still fits one event", async () => {
    const clock = new ManualClock();
    const room = recordingRoom(clock);
    const message = new StreamedMessage(room.send, memoryLogger().log, clock);
    message.append("<b>not bold</b> and `ls -l`\nnext");
    await settle();
    expect(room.sent[0]!.content.formatted_body).toBe(
      "&lt;b&gt;not bold&lt;/b&gt; and <code>ls -l</code><br>next",
    );
    const huge = "<字>".repeat(STREAM_MAX_CHARS);
    await message.finish(huge, "m.text");
    const edit = room.sent[room.sent.length - 1]!.content;
    expect(Buffer.byteLength(JSON.stringify(edit))).toBeLessThanOrEqual(60_000);
    expect(String((edit["m.new_content"] as Content).body)).toContain("characters cut by meshpilot");
    expect(streamedText("short")).toBe("short");
  });
});
