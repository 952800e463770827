import { AnthropicStandIn, say } from "../../lab/anthropic-standin";
import type { MatrixEvent } from "../../lab/matrix-client";
import { STANDIN_KEY, writeAgentsConfig } from "./support/agents";
import { joinDeviceRoom, revokeDevice, type DeviceRoom } from "./support/device-room";
import { describeLab } from "./support/lab";
import { isEdit, LabSession, WAIT } from "./support/session";

/** llm.push_after_s for this bot: short, so one test can take a turn on each side of it. */
const PUSH_AFTER_S = 4;

interface Notification {
  room_id: string;
  event: MatrixEvent;
  actions: unknown[];
}

/**
 * Streamed answers on the lab: the real bot, Synapse, an SSH-only device (fs1 → pc2), the SDK
 * streaming from the Messages API stand-in. What the operator's client receives is counted:
 * the post, its m.replace edits (coalesced to about one a second), the final text, and which
 * of those events Synapse's push rules flagged to notify the operator (GET /notifications).
 */
describeLab("streamed answers: one message edited in place, pushed only when the turn was long", (lab) => {
  let standIn: AnthropicStandIn;
  let session: LabSession;
  let device: DeviceRoom;

  const agentEvents = (after: string): MatrixEvent[] =>
    session.operator.events.filter(
      (e) =>
        e.type === "m.room.message" &&
        e.room_id === device.room &&
        e.sender === device.agent &&
        session.operator.isAfter(e, after),
    );
  const editsOf = (post: MatrixEvent): MatrixEvent[] =>
    session.operator.events.filter(
      (e) => isEdit(e) && (e.content["m.relates_to"] as { event_id?: string }).event_id === post.event_id,
    );
  /** The first message the agent posted after `after`. */
  const firstPost = (after: string): Promise<MatrixEvent> =>
    session.operator.waitForAfter(
      after,
      (e) =>
        e.room_id === device.room && e.sender === device.agent && e.type === "m.room.message" && !isEdit(e),
      WAIT,
      "the streamed message",
    );
  /** Waits for the edit of `post` whose new content is `body` as `msgtype` (the final one). */
  const finalEdit = (post: MatrixEvent, body: string, msgtype: string): Promise<MatrixEvent> =>
    session.operator.waitFor(
      (e) => {
        if (!isEdit(e) || (e.content["m.relates_to"] as { event_id?: string }).event_id !== post.event_id)
          return false;
        const next = e.content["m.new_content"] as { body?: string; msgtype?: string };
        return next.body === body && next.msgtype === msgtype;
      },
      WAIT,
      `the final edit (${msgtype})`,
    );
  const notifiedIn = async (room: string): Promise<Notification[]> => {
    const page = await session.operator.request<{ notifications: Notification[] }>(
      "GET",
      "/_matrix/client/v3/notifications?limit=100",
    );
    return page.notifications.filter((n) => n.room_id === room && n.event.sender === device.agent);
  };

  beforeAll(async () => {
    const facts = lab();
    standIn = await AnthropicStandIn.start({ apiKey: STANDIN_KEY });
    const configFile = writeAgentsConfig(facts, "fleet-stream", {
      base_url: standIn.url,
      push_after_s: PUSH_AFTER_S,
    });
    session = new LabSession(facts, "fleet-stream", {}, { configFile });
    await session.start();
    const { reaction } = await session.command("!add-pc fs1 --via ssh --ssh pc2-viewer");
    if (reaction !== "✅") throw new Error("could not add fs1");
    device = await joinDeviceRoom(session, facts, "fs1");
  }, 180_000);

  afterAll(async () => {
    if (session && device) await revokeDevice(session, lab(), "fs1").catch(() => undefined);
    await session?.stop();
    await standIn?.stop();
  }, 120_000);

  beforeEach(() => standIn.reset());

  test("a slow answer: edits coalesced to about one a second, the last one the whole answer, one push at the end", async () => {
    // 64 pieces, 110 ms apart: about 7 s of streaming, longer than push_after_s.
    const answer = Array.from(
      { length: 16 },
      (_, i) => `Line ${String(i).padStart(2, "0")} of the report.`,
    ).join(" ");
    standIn.streamPace({ chunkChars: Math.ceil(answer.length / 64), delayMs: 110 });
    standIn.script(say(answer));
    const asked = await session.operator.sendText(device.room, "Give me the long report.");
    const post = await firstPost(asked);
    expect(post.content.msgtype).toBe("m.notice");
    expect(answer.startsWith(String(post.content.body))).toBe(true);
    const pushed = await session.operator.waitForAfter(
      asked,
      (e) =>
        e.room_id === device.room &&
        e.sender === device.agent &&
        !isEdit(e) &&
        e.content.msgtype === "m.text" &&
        e.content.body === answer,
      WAIT,
      "the final answer as a new m.text",
    );
    const last = await finalEdit(post, answer, "m.notice");
    const edits = editsOf(post);
    const spanS = (last.origin_server_ts - post.origin_server_ts) / 1000;
    // eslint-disable-next-line no-console
    console.log(`fleet-stream: ${edits.length} edits over ${spanS.toFixed(1)} s for 64 pieces`);
    // Coalesced: about one edit a second plus the final one, never one per piece.
    expect(edits.length).toBeGreaterThanOrEqual(3);
    expect(edits.length).toBeLessThanOrEqual(Math.ceil(spanS) + 2);
    expect(edits[edits.length - 1]).toBe(last);
    for (const edit of edits) {
      const next = edit.content["m.new_content"] as Record<string, unknown>;
      expect(next).toMatchObject({ msgtype: "m.notice", format: "org.matrix.custom.html" });
      expect(typeof next.formatted_body).toBe("string");
      expect(answer.startsWith(String(next.body))).toBe(true);
    }
    // The one new m.text mentions the operator; it is the only event of the turn that notified.
    expect(pushed.content["m.mentions"]).toEqual({ user_ids: [lab().operator.userId] });
    expect(
      agentEvents(asked)
        .filter((e) => !isEdit(e))
        .map((e) => e.event_id),
    ).toEqual([post.event_id, pushed.event_id]);
    const notified = (await notifiedIn(device.room)).map((n) => n.event.event_id);
    expect(notified).toContain(pushed.event_id);
    expect(notified).not.toContain(post.event_id);
    for (const edit of edits) expect(notified).not.toContain(edit.event_id);
  }, 120_000);

  test("a quick answer ends as a normal m.text by its last edit, and nothing of it notifies", async () => {
    standIn.streamPace({ chunkChars: 8, delayMs: 0 });
    const answer = "The disk is 42% full; /var/log is the biggest directory.";
    standIn.script(say(answer), say("Next answer."));
    const asked = await session.operator.sendText(device.room, "How full is the disk?");
    const post = await firstPost(asked);
    expect(post.content.msgtype).toBe("m.notice");
    await finalEdit(post, answer, "m.text");
    // The room's next turn starts only after this one ended: anything this turn still posted
    // is in the timeline before the next turn's first message.
    const next = await session.operator.sendText(device.room, "And then?");
    const nextPost = await firstPost(next);
    const between = agentEvents(asked).filter(
      (e) => !isEdit(e) && session.operator.events.indexOf(e) < session.operator.events.indexOf(nextPost),
    );
    expect(between.map((e) => e.event_id)).toEqual([post.event_id]);
    const notified = (await notifiedIn(device.room)).map((n) => n.event.event_id);
    for (const e of agentEvents(asked).filter(
      (x) => session.operator.events.indexOf(x) < session.operator.events.indexOf(nextPost),
    ))
      expect(notified).not.toContain(e.event_id);
  }, 120_000);
});
