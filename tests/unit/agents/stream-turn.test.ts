import { ApprovalBroker } from "../../../agents/approvals";
import { HistoryStore } from "../../../agents/history";
import { AgentHost, type AgentRoom } from "../../../agents/host";
import { AnthropicModel } from "../../../agents/model";
import type { Tool } from "../../../capabilities/types";
import { AnthropicStandIn, breakOff, callTool, say } from "../../../lab/anthropic-standin";
import { openDatabase } from "../../../state/db";
import type { Device } from "../../../state/devices";
import { BOT_MIGRATIONS } from "../../../state/migrations";
import { memoryLogger } from "../support/fakes";

type Content = Record<string, unknown>;
const KEY = "sk-standin-stream-turn";
const OP = "@op:example.org";
const device = { name: "fs1", backend: "wg", os: "linux", arch: "amd64", manifest: "{}" } as Device;

/**
 * A whole turn streamed into a room: the real SDK against the stand-in's SSE on loopback, the
 * real AgentHost and loop; the room records what it was sent.
 */
describe("a streamed turn, host to stand-in", () => {
  let standIn: AnthropicStandIn;
  let sent: Content[];
  let said: string[];

  const listTool: Tool = {
    name: "fs.list",
    description: "lists",
    inputSchema: { type: "object", properties: { path: { type: "string" } } },
    classify: () => ({ needed: false, callClass: "read", reason: "only reads" }),
    timeoutMs: 1000,
    execute: () => Promise.resolve({ ok: true, output: "notes.txt" }),
  };

  function host(pushAfterS: number): AgentHost {
    const db = openDatabase(":memory:", BOT_MIGRATIONS);
    const log = memoryLogger().log;
    const room: AgentRoom = {
      say: (text) => Promise.resolve(`$s${said.push(text)}`),
      notice: (text) => Promise.resolve(`$n${said.push(`notice: ${text}`)}`),
      ask: () => Promise.resolve("$card"),
      typing: () => Promise.resolve(),
      send: (content) => Promise.resolve(`$e${sent.push(content)}`),
    };
    return new AgentHost({
      model: new AnthropicModel({
        model: "claude-test",
        apiKey: KEY,
        baseUrl: standIn.url,
        maxTokens: 256,
        timeoutMs: 2000,
        retries: 1,
        retryBaseMs: 1,
      }),
      registry: { toolsFor: () => [listTool] },
      history: new HistoryStore(db, { maxTurns: 5, maxTokens: 10_000 }),
      approvals: new ApprovalBroker(db, { operators: new Set([OP]), timeoutMs: 1000, log }),
      roomFor: () => room,
      limits: { maxToolRounds: 3, toolOutputMaxChars: 1000, approvalTimeoutS: 1, pushAfterS },
      agentPort: 7700,
      log,
    });
  }
  const ask = (h: AgentHost, body: string) =>
    h.handle(device, { roomId: "!r", eventId: "$q", sender: OP, body });
  const fresh = (): Content[] => sent.filter((c) => c["m.relates_to"] === undefined);
  /** What event `$eN` shows now: its last edit's m.new_content, or itself. */
  const shown = (n: number): Content => {
    const edits = sent.filter(
      (c) => (c["m.relates_to"] as { event_id?: string } | undefined)?.event_id === `$e${n}`,
    );
    return (edits.length ? edits[edits.length - 1]!["m.new_content"] : sent[n - 1]) as Content;
  };

  beforeAll(async () => {
    standIn = await AnthropicStandIn.start({ apiKey: KEY });
  });
  afterAll(() => standIn.stop());
  beforeEach(() => {
    standIn.reset();
    standIn.streamPace({ chunkChars: 3, delayMs: 1 });
    sent = [];
    said = [];
  });

  test("text before a tool call streams into one message, the answer after it into a new one; a quick turn pushes nothing", async () => {
    standIn.script(callTool("fs_list", { path: "/home/op" }, "Let me look."), say("You have notes.txt."));
    await ask(host(20), "what is there?");
    expect(said).toEqual([]);
    expect(fresh().map((c) => c.msgtype)).toEqual(["m.notice", "m.notice"]);
    const second = sent.indexOf(fresh()[1]!) + 1;
    expect(shown(1)).toMatchObject({ msgtype: "m.text", body: "Let me look." });
    expect(shown(second)).toMatchObject({ msgtype: "m.text", body: "You have notes.txt." });
    expect(sent.every((c) => JSON.stringify(c["m.mentions"]) === "{}")).toBe(true);
    expect(standIn.requests.every((r) => r.body.stream === true)).toBe(true);
  });

  test("a turn longer than push_after_s ends with the answer as a new m.text mentioning the operator", async () => {
    standIn.script(say("The disk is 42% full."));
    await ask(host(0), "disk?");
    expect(fresh().map((c) => [c.msgtype, c["m.mentions"]])).toEqual([
      ["m.notice", {}],
      ["m.text", { user_ids: [OP] }],
    ]);
    expect(fresh()[1]!.body).toBe("The disk is 42% full.");
    expect(shown(1)).toMatchObject({ msgtype: "m.notice", body: "The disk is 42% full." });
  });

  test("a stream that breaks after text: what arrived lands, marked, and the turn ends with the failure sentence", async () => {
    standIn.script(breakOff(say("The answer is forty-two, because"), 6, "hangup"), say("not asked"));
    await ask(host(20), "why?");
    expect(standIn.requests).toHaveLength(1);
    expect(String(shown(1).body)).toMatch(/^The .*…\n\n\[the answer broke off here\]$/);
    expect(shown(1).msgtype).toBe("m.text");
    expect(said).toEqual([
      expect.stringMatching(
        /^I couldn't answer: the connection to the model API at http:\/\/127\.0\.0\.1:\d+ broke off in the middle of its answer \(.+\)\. Try again in a minute\.$/,
      ),
    ]);
  });

  test("a stream that breaks before any text is retried; the room sees only the answer", async () => {
    standIn.script(breakOff(say("never"), 0, "error"), say("Second try worked."));
    await ask(host(20), "again?");
    expect(standIn.requests).toHaveLength(2);
    expect(fresh()).toHaveLength(1);
    expect(shown(1)).toMatchObject({ msgtype: "m.text", body: "Second try worked." });
    expect(said).toEqual([]);
  });
});
