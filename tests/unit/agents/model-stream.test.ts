import { AnthropicModel, ModelError, type ModelSettings } from "../../../agents/model";
import {
  AnthropicStandIn,
  breakOff,
  callTool,
  say,
  withUsage,
  type Scripted,
} from "../../../lab/anthropic-standin";

/**
 * AnthropicModel streaming over the real wire: the stand-in on loopback speaks the Messages
 * API's server-sent events, the real SDK parses them. No mocks.
 */
describe("AnthropicModel streams replies from the stand-in's SSE", () => {
  let standIn: AnthropicStandIn;
  const KEY = "sk-standin-stream";
  const settings = (overrides: Partial<ModelSettings> = {}): ModelSettings => ({
    model: "claude-test",
    apiKey: KEY,
    baseUrl: standIn.url,
    maxTokens: 256,
    timeoutMs: 2000,
    retries: 2,
    retryBaseMs: 1,
    ...overrides,
  });
  const request = {
    system: "test",
    messages: [{ role: "user" as const, content: [{ type: "text" as const, text: "hi" }] }],
    tools: [],
  };
  const run = async (
    model: AnthropicModel,
  ): Promise<{
    deltas: string[];
    reply?: Awaited<ReturnType<AnthropicModel["create"]>>;
    error?: ModelError;
  }> => {
    const deltas: string[] = [];
    try {
      const reply = await model.create(request, { onText: (d) => deltas.push(d) });
      return { deltas, reply };
    } catch (error) {
      if (!(error instanceof ModelError)) throw error;
      return { deltas, error };
    }
  };

  beforeAll(async () => {
    standIn = await AnthropicStandIn.start({ apiKey: KEY });
  });
  afterAll(() => standIn.stop());
  beforeEach(() => {
    standIn.reset();
    standIn.streamPace({ chunkChars: 4, delayMs: 2 });
  });

  test("text arrives in pieces that add up to the final text; usage comes from the final message", async () => {
    const text = "Disk usage on pc1: 42% of 100 GB.";
    standIn.script(withUsage(say(text), { input_tokens: 321, output_tokens: 45 }));
    const { deltas, reply } = await run(new AnthropicModel(settings()));
    expect(standIn.requests[0]!.body.stream).toBe(true);
    expect(deltas.length).toBe(Math.ceil(text.length / 4));
    expect(deltas.join("")).toBe(text);
    expect(reply).toEqual({
      content: [{ type: "text", text }],
      stopReason: "end_turn",
      usage: { inputTokens: 321, outputTokens: 45 },
    });
  });

  test("a tool call's input arrives as input_json_delta and is whole in the reply; text before it streams", async () => {
    const input = { path: "/home/op/some/long/directory/name", depth: 3 };
    standIn.script(callTool("fs_list", input, "Let me look."));
    const { deltas, reply } = await run(new AnthropicModel(settings()));
    expect(deltas.join("")).toBe("Let me look.");
    expect(reply!.stopReason).toBe("tool_use");
    expect(reply!.content[1]).toMatchObject({ type: "tool_use", name: "fs_list", input });
    expect(reply!.usage!.outputTokens).toBeGreaterThan(0);
  });

  test("two text blocks stream with a blank line between them", async () => {
    const two: Scripted = {
      kind: "reply",
      content: [
        { type: "text", text: "First." },
        { type: "text", text: "Second." },
      ],
    };
    standIn.script(two);
    const { deltas, reply } = await run(new AnthropicModel(settings()));
    expect(deltas.join("")).toBe("First.\n\nSecond.");
    expect(reply!.content).toHaveLength(2);
  });

  test.each(["hangup", "error", "stall"] as const)(
    "a stream that breaks (%s) before any text is retried like a failed request",
    async (how) => {
      standIn.script(breakOff(say("never shown"), 0, how), say("second try"));
      const { deltas, reply } = await run(new AnthropicModel(settings({ timeoutMs: 300 })));
      expect(deltas.join("")).toBe("second try");
      expect(reply!.content).toEqual([{ type: "text", text: "second try" }]);
      expect(standIn.requests).toHaveLength(2);
    },
  );

  test.each([
    [
      "hangup",
      "unreachable",
      /^the connection to the model API at http:\/\/127\.0\.0\.1:\d+ broke off in the middle of its answer \(.+\)$/,
    ],
    ["error", "overloaded", /^the model API is overloaded \(it said so in the middle of its answer\)$/],
    ["stall", "timeout", /^the model API stopped sending its answer for 0\.3 s, so it was cut off$/],
  ] as const)(
    "a stream that breaks (%s) after some text is not retried: the turn ends with a %s sentence",
    async (how, kind, sentence) => {
      standIn.script(breakOff(say("The answer is forty-two, because"), 8, how), say("must not be asked"));
      const { deltas, error } = await run(new AnthropicModel(settings({ timeoutMs: 300 })));
      // What arrived before the break (at least one piece; the stand-in broke after 8 characters).
      expect(deltas.length).toBeGreaterThan(0);
      expect("The answer is forty-two, because".slice(0, 8).startsWith(deltas.join(""))).toBe(true);
      expect(error).toBeInstanceOf(ModelError);
      expect(error!.kind).toBe(kind);
      expect(error!.attempts).toBe(1);
      expect(error!.sentence).toMatch(sentence);
      expect(standIn.requests).toHaveLength(1);
    },
  );

  test("a failing onText listener does not break the stream", async () => {
    standIn.script(say("still whole"));
    const reply = await new AnthropicModel(settings()).create(request, {
      onText: () => {
        throw new Error("listener bug");
      },
    });
    expect(reply.content).toEqual([{ type: "text", text: "still whole" }]);
  });

  test("without a hook the reply is the same, streamed or not", async () => {
    standIn.script(say("plain"));
    const reply = await new AnthropicModel(settings()).create(request);
    expect(reply.content).toEqual([{ type: "text", text: "plain" }]);
  });
});
