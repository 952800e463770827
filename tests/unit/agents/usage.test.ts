import { AgentHost, type AgentRoom } from "../../../agents/host";
import { ApprovalBroker } from "../../../agents/approvals";
import { HistoryStore } from "../../../agents/history";
import { MeteredModel } from "../../../agents/metered-model";
import { AnthropicModel, ModelError, type Model, type ModelReply } from "../../../agents/model";
import { budgetRefusal, dailyLimitsOf, type DailyLimits } from "../../../agents/usage-budget";
import { spendOf, tokensText, usdText } from "../../../agents/usage-cost";
import { daysBefore, UsageStore, utcDay } from "../../../agents/usage-store";
import { AnthropicStandIn, callTool, say, withUsage } from "../../../lab/anthropic-standin";
import { openDatabase, type Db } from "../../../state/db";
import type { Device } from "../../../state/devices";
import { BOT_MIGRATIONS } from "../../../state/migrations";
import { memoryLogger } from "../support/fakes";

const OP = "@op:example.org";
/** 2026-12-02 23:59 UTC: a minute before the day rolls over. */
const LATE = Date.parse("2026-12-02T23:59:00Z");
const pc1 = { name: "pc1", backend: "wg", os: "linux", manifest: "{}", created_at: 1 } as Device;
const pc2: Device = { ...pc1, name: "pc2" };

function store(now: { t: number }): { db: Db; usage: UsageStore } {
  const db = openDatabase(":memory:", BOT_MIGRATIONS);
  return { db, usage: new UsageStore(db, () => now.t) };
}

describe("usage from the API's replies", () => {
  let standIn: AnthropicStandIn;
  const KEY = "sk-standin-usage";
  beforeAll(async () => {
    standIn = await AnthropicStandIn.start({ apiKey: KEY });
  });
  afterAll(() => standIn.stop());

  test("the real SDK's reply usage (input_tokens/output_tokens) is what gets counted, per device and model", async () => {
    const clock = { t: LATE };
    const { usage } = store(clock);
    const sdk = new AnthropicModel({
      model: "claude-test",
      apiKey: KEY,
      baseUrl: standIn.url,
      maxTokens: 256,
      timeoutMs: 5000,
      retries: 0,
      retryBaseMs: 1,
    });
    const meter = { store: usage, limits: {}, model: "claude-test" };
    standIn.script(
      withUsage(say("hello"), { input_tokens: 1234, output_tokens: 56 }),
      withUsage(callTool("fs_list", { path: "/" }), { input_tokens: 2000, output_tokens: 80 }),
      withUsage(say("other device"), { input_tokens: 7, output_tokens: 3 }),
    );
    const request = {
      system: "s",
      messages: [{ role: "user" as const, content: [{ type: "text" as const, text: "hi" }] }],
      tools: [],
    };
    const first = await new MeteredModel(sdk, meter, "pc1").create(request);
    expect(first.usage).toEqual({ inputTokens: 1234, outputTokens: 56 });
    await new MeteredModel(sdk, meter, "pc1").create(request);
    await new MeteredModel(sdk, meter, "pc2").create(request);
    expect(usage.tokensToday("pc1")).toBe(1234 + 56 + 2000 + 80);
    expect(usage.tokensToday("pc2")).toBe(10);
    expect(usage.tokensToday()).toBe(3380);
    expect(usage.since(usage.today())).toEqual([
      {
        device: "pc1",
        model: "claude-test",
        inputTokens: 3234,
        outputTokens: 136,
        replies: 2,
        repliesWithoutUsage: 0,
      },
      {
        device: "pc2",
        model: "claude-test",
        inputTokens: 7,
        outputTokens: 3,
        replies: 1,
        repliesWithoutUsage: 0,
      },
    ]);
  });

  test("a reply without usage is counted as such, with no tokens; a failed request is not counted", async () => {
    const { usage } = store({ t: LATE });
    const meter = { store: usage, limits: {}, model: "m" };
    const replies: Array<ModelReply | Error> = [
      { content: [{ type: "text", text: "no usage" }], stopReason: "end_turn" },
      new ModelError("server", "the model API failed (HTTP 500)", 1, 500),
    ];
    const model: Model = {
      create: () => {
        const next = replies.shift()!;
        return next instanceof Error ? Promise.reject(next) : Promise.resolve(next);
      },
    };
    const metered = new MeteredModel(model, meter, "pc1");
    const request = { system: "", messages: [], tools: [] };
    await metered.create(request);
    await expect(metered.create(request)).rejects.toThrow("HTTP 500");
    expect(usage.since(usage.today())).toEqual([
      { device: "pc1", model: "m", inputTokens: 0, outputTokens: 0, replies: 1, repliesWithoutUsage: 1 },
    ]);
  });
});

describe("daily limits", () => {
  test("the limits come from the llm block; unset means no limit", () => {
    expect(dailyLimitsOf({})).toEqual({});
    expect(dailyLimitsOf({ daily_token_limit: 10, daily_token_limit_total: 20 })).toEqual({
      perDevice: 10,
      total: 20,
    });
  });

  test("a room over its limit is refused before any call; !budget adds to today; the next UTC day starts again", () => {
    const clock = { t: LATE };
    const { usage } = store(clock);
    const limits: DailyLimits = { perDevice: 1000, total: 5000 };
    usage.record("pc1", "m", { inputTokens: 900, outputTokens: 99 });
    expect(budgetRefusal(usage, limits, "pc1")).toBeUndefined();
    usage.record("pc1", "m", { inputTokens: 1, outputTokens: 0 });
    expect(budgetRefusal(usage, limits, "pc1")).toBe(
      "Today's token budget for pc1 is used up (1,000 of 1,000 tokens), so I won't call the model until 00:00 UTC (day 2026-12-02 ends) or until an operator runs !budget pc1 +N.",
    );
    // Another room is not stopped by pc1's limit.
    expect(budgetRefusal(usage, limits, "pc2")).toBeUndefined();
    usage.addToday("pc1", 500, OP);
    expect(budgetRefusal(usage, limits, "pc1")).toBeUndefined();
    usage.record("pc1", "m", { inputTokens: 500, outputTokens: 0 });
    expect(budgetRefusal(usage, limits, "pc1")).toContain("(1,500 of 1,500 tokens)");
    // A minute later it is a new UTC day: the limit applies afresh, yesterday's addition is gone.
    clock.t = LATE + 60_000;
    expect(usage.today()).toBe("2026-12-03");
    expect(usage.tokensToday("pc1")).toBe(0);
    expect(usage.addedToday("pc1")).toBe(0);
    expect(budgetRefusal(usage, limits, "pc1")).toBeUndefined();
  });

  test("the fleet's total stops every room; !budget all lifts it", () => {
    const { usage } = store({ t: LATE });
    const limits: DailyLimits = { total: 100 };
    usage.record("pc1", "m", { inputTokens: 60, outputTokens: 0 });
    usage.record("pc2", "m", { inputTokens: 40, outputTokens: 0 });
    for (const device of ["pc1", "pc2", "pc3"])
      expect(budgetRefusal(usage, limits, device)).toBe(
        "The fleet's token budget for today is used up (100 of 100 tokens across all devices), so I won't call the model until 00:00 UTC (day 2026-12-02 ends) or until an operator runs !budget all +N.",
      );
    usage.addToday("pc1", 1000, OP);
    expect(budgetRefusal(usage, limits, "pc1")).toBeDefined();
    usage.addToday(undefined, 1, OP);
    expect(budgetRefusal(usage, limits, "pc1")).toBeUndefined();
  });

  test("the room reads the one sentence, the model is not called, and !budget lets the next message through", async () => {
    const clock = { t: LATE };
    const { db, usage } = store(clock);
    const said: string[] = [];
    let calls = 0;
    const model: Model = {
      create: () => {
        calls++;
        return Promise.resolve({
          content: [{ type: "text", text: `answer ${calls}` }],
          stopReason: "end_turn",
          usage: { inputTokens: 700, outputTokens: 400 },
        });
      },
    };
    const log = memoryLogger().log;
    const room: AgentRoom = {
      say: (text) => Promise.resolve(String(said.push(text))),
      notice: (text) => Promise.resolve(String(said.push(`notice: ${text}`))),
      ask: () => Promise.reject(new Error("no approvals here")),
      typing: () => Promise.resolve(),
    };
    const meter = { store: usage, limits: { perDevice: 1000 }, model: "m" };
    const host = new AgentHost({
      model,
      meter: (inner, device) => new MeteredModel(inner, meter, device.name),
      registry: { toolsFor: () => [] },
      history: new HistoryStore(db, { maxTurns: 5, maxTokens: 10_000 }),
      approvals: new ApprovalBroker(db, { operators: new Set([OP]), timeoutMs: 1000, log }),
      roomFor: () => room,
      limits: { maxToolRounds: 2, toolOutputMaxChars: 1000, approvalTimeoutS: 1 },
      agentPort: 7700,
      log,
    });
    const send = (body: string, device = pc1) =>
      host.handle(device, { roomId: `!${device.name}`, eventId: `$${body}`, sender: OP, body });
    await send("first");
    expect(said).toEqual(["answer 1"]);
    await send("second");
    expect(calls).toBe(1);
    expect(said[1]).toBe(
      "Today's token budget for pc1 is used up (1,100 of 1,000 tokens), so I won't call the model until 00:00 UTC (day 2026-12-02 ends) or until an operator runs !budget pc1 +N.",
    );
    await send("other room", pc2);
    expect(said[2]).toBe("answer 2");
    usage.addToday("pc1", 2000, OP);
    await send("third");
    expect(said[3]).toBe("answer 3");
  });
});

describe("cost and figures", () => {
  const prices = {
    "claude-a": { input_per_mtok: 3, output_per_mtok: 15 },
    free: { input_per_mtok: 0, output_per_mtok: 0 },
  };
  const row = (model: string, inputTokens: number, outputTokens: number) => ({
    device: "pc1",
    model,
    inputTokens,
    outputTokens,
    replies: 1,
    repliesWithoutUsage: 0,
  });

  test("cost is tokens × the model's price per million, input and output apart", () => {
    expect(spendOf([row("claude-a", 1_000_000, 0)], prices).usd).toBeCloseTo(3, 10);
    expect(spendOf([row("claude-a", 0, 1_000_000)], prices).usd).toBeCloseTo(15, 10);
    expect(spendOf([row("claude-a", 12_345, 678)], prices).usd).toBeCloseTo(
      (12_345 * 3 + 678 * 15) / 1e6,
      12,
    );
    expect(spendOf([row("free", 5000, 5000)], prices)).toMatchObject({ tokens: 10_000, usd: 0 });
  });

  test("a model with no price: tokens shown, cost unknown (no guesses), named", () => {
    const spend = spendOf([row("claude-a", 100, 100), row("mystery-1", 50, 50)], prices);
    expect(spend).toEqual({ tokens: 300, usd: undefined, unpriced: ["mystery-1"], repliesWithoutUsage: 0 });
    // The name must match exactly: no prefix or prototype lookups.
    expect(spendOf([row("constructor", 1, 1)], prices).usd).toBeUndefined();
    expect(spendOf([row("claude-a-2", 1, 1)], prices).usd).toBeUndefined();
  });

  test("figures as the table shows them", () => {
    expect([0, 999, 1000, 1500, 12_345, 100_000, 2_500_000].map(tokensText)).toEqual([
      "0",
      "999",
      "1k",
      "1.5k",
      "12.3k",
      "100k",
      "2.5M",
    ]);
    expect([undefined, 0, 0.0042, 0.31, 12.4, 1234.4].map(usdText)).toEqual([
      "?",
      "$0",
      "$0.0042",
      "$0.31",
      "$12.40",
      "$1,234",
    ]);
  });

  test("UTC days: the boundary, 7 days back across a month", () => {
    expect(utcDay(Date.parse("2026-12-02T23:59:59.999Z"))).toBe("2026-12-02");
    expect(utcDay(Date.parse("2026-12-03T00:00:00Z"))).toBe("2026-12-03");
    expect(daysBefore("2026-12-02", 6)).toBe("2026-11-26");
    expect(daysBefore("2026-03-01", 1)).toBe("2026-02-28");
  });
});
