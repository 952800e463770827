import type { ApprovalDecision } from "../../../agents/approvals";
import { endingSentence } from "../../../agents/host";
import { runTurn, type TurnDeps } from "../../../agents/loop";
import { AnthropicModel, type ModelSettings } from "../../../agents/model";
import type { ApprovalNeed, Tool, ToolContext } from "../../../capabilities/types";
import {
  AnthropicStandIn,
  callTool,
  fail,
  lastToolResults,
  say,
  type StandInRequest,
} from "../../../lab/anthropic-standin";
import { memoryLogger } from "../support/fakes";

const KEY = "sk-standin-unit";
const CALLER = "@op:example.org";

const READ: ApprovalNeed = { needed: false, callClass: "read", reason: "only reads" };
const CHANGE: ApprovalNeed = { needed: true, callClass: "change", reason: "restarts a container" };

/** Fake tools (the real providers have their own tests); each records how it was called. */
function fakeTools(calls: Array<{ name: string; input: unknown; ctx: ToolContext }>): Tool[] {
  const tool = (
    name: string,
    need: ApprovalNeed,
    run: () => Promise<Awaited<ReturnType<Tool["execute"]>>>,
  ): Tool => ({
    name,
    description: `fake ${name}`,
    inputSchema: { type: "object", properties: { path: { type: "string" } } },
    classify: () => need,
    timeoutMs: 200,
    execute: (input, ctx) => {
      calls.push({ name, input, ctx });
      return run();
    },
  });
  return [
    tool("fs.list", READ, () => Promise.resolve({ ok: true, output: "file  12  notes.txt" })),
    tool("fs.read", READ, () => Promise.resolve({ ok: true, output: "x".repeat(5000) })),
    tool("git.status", READ, () => Promise.resolve({ ok: false, output: "[error: not a git repository]" })),
    tool("shell.exec", READ, () =>
      Promise.resolve({ ok: false, refusal: "rm is not an allowed binary", output: "refused" }),
    ),
    tool("proc.list", READ, () => Promise.reject(new Error("socket hang up"))),
    tool("docker.ps", READ, () => new Promise(() => undefined)),
    tool("docker.restart", CHANGE, () => Promise.resolve({ ok: true, output: "nginx" })),
  ];
}

describe("the agent loop against the Messages API stand-in", () => {
  let standIn: AnthropicStandIn;
  let calls: Array<{ name: string; input: unknown; ctx: ToolContext }>;
  let said: string[];
  let notices: string[];
  let asked: string[];
  let decision: ApprovalDecision;

  const settings = (overrides: Partial<ModelSettings> = {}): ModelSettings => ({
    model: "claude-test",
    apiKey: KEY,
    baseUrl: standIn.url,
    maxTokens: 512,
    timeoutMs: 2000,
    retries: 2,
    retryBaseMs: 1,
    ...overrides,
  });
  const deps = (overrides: Partial<TurnDeps> = {}): TurnDeps => ({
    model: new AnthropicModel(settings()),
    system: "You are a test agent.",
    tools: fakeTools(calls),
    history: [],
    caller: CALLER,
    maxToolRounds: 3,
    toolOutputMaxChars: 1000,
    approve: (tool, input, need) => {
      asked.push(`${tool.name} ${JSON.stringify(input)} ${need.callClass}: ${need.reason}`);
      return Promise.resolve(decision);
    },
    say: (text) => Promise.resolve(void said.push(text)),
    notice: (text) => Promise.resolve(void notices.push(text)),
    log: memoryLogger().log,
    ...overrides,
  });

  beforeAll(async () => {
    standIn = await AnthropicStandIn.start({ apiKey: KEY });
  });
  afterAll(() => standIn.stop());
  beforeEach(() => {
    standIn.reset();
    calls = [];
    said = [];
    notices = [];
    asked = [];
    decision = { outcome: "refused", by: CALLER };
  });

  const echoResults = (request: StandInRequest) =>
    say(
      `tools said: ${lastToolResults(request)
        .map((r) => `${r.isError ? "ERROR " : ""}${r.content}`)
        .join(" | ")}`,
    );

  test("a tool call runs the tool and its result goes back to the model; the answer is said", async () => {
    standIn.script(callTool("fs_list", { path: "/home/op" }, "Let me look."), echoResults);
    const outcome = await runTurn(deps(), "what is in my home?");
    expect(calls).toEqual([{ name: "fs.list", input: { path: "/home/op" }, ctx: { caller: CALLER } }]);
    expect(said).toEqual(["Let me look.", "tools said: file  12  notes.txt"]);
    expect(outcome.calls).toEqual([{ tool: "fs.list", input: { path: "/home/op" }, outcome: "done" }]);
    const first = standIn.requests[0]!.body;
    expect(first.system).toBe("You are a test agent.");
    expect(first.tools?.map((t) => t.name)).toContain("fs_list");
    expect(standIn.requests[0]!.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(outcome.messages.map((m) => m.role)).toEqual(["user", "assistant", "user", "assistant"]);
    expect(endingSentence(outcome)).toBeUndefined();
  });

  test("tool failures, exceptions, timeouts and unknown tools become is_error results", async () => {
    standIn.script(
      {
        kind: "reply",
        stopReason: "tool_use",
        content: [
          { type: "tool_use", id: "a", name: "git_status", input: { path: "/x" } },
          { type: "tool_use", id: "b", name: "proc_list", input: {} },
          { type: "tool_use", id: "c", name: "docker_ps", input: {} },
          { type: "tool_use", id: "d", name: "rm_rf", input: {} },
        ],
      },
      echoResults,
    );
    const outcome = await runTurn(deps(), "check things");
    const results = lastToolResults(standIn.requests[1]!);
    expect(results.map((r) => r.isError)).toEqual([true, true, true, true]);
    expect(results[0]!.content).toBe("[error: not a git repository]");
    expect(results[1]!.content).toBe("error: socket hang up");
    expect(results[2]!.content).toBe("error: docker.ps timed out after 0 s");
    expect(results[3]!.content).toMatch(/^there is no tool named rm_rf; the tools are: fs.list, /);
    expect(outcome.calls.map((c) => c.outcome)).toEqual(["failed", "failed", "failed", "unknown_tool"]);
  });

  test("a policy refusal is said plainly in the room and told to the model", async () => {
    standIn.script(callTool("shell_exec", { argv: ["rm", "-rf", "/"] }), echoResults);
    await runTurn(deps(), "clean up");
    expect(notices).toEqual([
      "🚫 shell.exec was refused by policy: rm is not an allowed binary. Nothing ran.",
    ]);
    expect(lastToolResults(standIn.requests[1]!)).toEqual([
      {
        content:
          "Refused by policy: rm is not an allowed binary. Nothing ran. Do not try to get around this.",
        isError: true,
      },
    ]);
  });

  test("long tool output is cut with a marker before the model sees it", async () => {
    standIn.script(callTool("fs_read", { path: "/big" }), echoResults);
    await runTurn(deps(), "read it");
    const [result] = lastToolResults(standIn.requests[1]!);
    expect(result!.content.length).toBeLessThanOrEqual(1000);
    expect(result!.content).toMatch(/\[… \d+ characters cut by meshpilot …\]/);
  });

  test("a tool that needs approval is not run when refused or timed out, and the model is told", async () => {
    standIn.script(callTool("docker_restart", { container: "nginx" }), echoResults);
    await runTurn(deps(), "restart nginx");
    expect(asked).toEqual(['docker.restart {"container":"nginx"} change: restarts a container']);
    expect(calls).toEqual([]);
    expect(lastToolResults(standIn.requests[1]!)[0]!.content).toBe(
      `The operator (${CALLER}) refused this call. It was not run. Do not retry it unless the operator asks again.`,
    );
    decision = { outcome: "timed_out", afterS: 600 };
    standIn.script(callTool("docker_restart", { container: "nginx" }), echoResults);
    await runTurn(deps(), "restart nginx");
    expect(calls).toEqual([]);
    expect(lastToolResults(standIn.requests[3]!)[0]!.content).toBe(
      "No operator approved this call within 600 s, so it was declined. It was not run.",
    );
  });

  test("an approved call runs with approvedBy set", async () => {
    decision = { outcome: "allowed", by: CALLER };
    standIn.script(callTool("docker_restart", { container: "nginx" }), echoResults);
    await runTurn(deps(), "restart nginx");
    expect(calls).toEqual([
      { name: "docker.restart", input: { container: "nginx" }, ctx: { caller: CALLER, approvedBy: CALLER } },
    ]);
    expect(said).toEqual(["tools said: nginx"]);
  });

  test("tool rounds are capped: the turn stops, history stays well-formed, and the room is told", async () => {
    standIn.otherwise(() => callTool("fs_list", { path: "/" }));
    const outcome = await runTurn(deps({ maxToolRounds: 2 }), "loop forever");
    standIn.otherwise(() => say("(nothing scripted)"));
    expect(calls).toHaveLength(2);
    expect(standIn.requests).toHaveLength(3);
    expect(outcome.roundsExhausted).toBe(true);
    expect(outcome.messages[outcome.messages.length - 1]!.role).toBe("assistant");
    expect(endingSentence(outcome)).toMatch(
      /^I stopped after the limit of tool rounds .* \(tools already run this turn: fs.list, fs.list\)/,
    );
  });

  describe("API failures end in a plain sentence, retried where it makes sense", () => {
    test("401: not retried", async () => {
      const outcome = await runTurn(deps({ model: new AnthropicModel(settings({ apiKey: "wrong" })) }), "hi");
      expect(standIn.requests).toHaveLength(1);
      expect(endingSentence(outcome)).toBe(
        "I couldn't answer: the model API rejected the API key (401) — check llm.api_key_file. Retrying will not help until the key or account is fixed.",
      );
      expect(outcome.messages[outcome.messages.length - 1]!.role).toBe("assistant");
    });

    test("429 then success: retried, honouring retry-after, and the turn completes", async () => {
      standIn.script(fail(429, 0), say("hello"));
      const outcome = await runTurn(deps(), "hi");
      expect(standIn.requests).toHaveLength(2);
      expect(outcome.failure).toBeUndefined();
      expect(said).toEqual(["hello"]);
    });

    test.each([
      [
        429,
        "I couldn't answer: the model API is rate-limiting requests (429) — gave up after 3 attempts. Try again in a minute.",
      ],
      [
        529,
        "I couldn't answer: the model API is overloaded (529) — gave up after 3 attempts. Try again in a minute.",
      ],
      [
        500,
        "I couldn't answer: the model API failed (HTTP 500: stand-in 500) — gave up after 3 attempts. Try again in a minute.",
      ],
      [
        400,
        "I couldn't answer: the model API rejected the request (400: stand-in 400). This looks like a bug in meshpilot; the log has the details.",
      ],
    ])("%i every time", async (status, sentence) => {
      standIn.otherwise(() => fail(status));
      const outcome = await runTurn(deps(), "hi");
      standIn.otherwise(() => say("(nothing scripted)"));
      expect(endingSentence(outcome)).toBe(sentence);
      expect(standIn.requests).toHaveLength(status === 400 ? 1 : 3);
    });

    test("too slow: timed out, retried, then said", async () => {
      standIn.otherwise(() => ({ kind: "slow", delayMs: 1500, then: say("late") }));
      const outcome = await runTurn(
        deps({ model: new AnthropicModel(settings({ timeoutMs: 300, retries: 1 })) }),
        "hi",
      );
      standIn.otherwise(() => say("(nothing scripted)"));
      expect(endingSentence(outcome)).toBe(
        "I couldn't answer: the model API did not answer within 0.3 s — gave up after 2 attempts. Try again in a minute.",
      );
    });

    test("unreachable: nothing listens there", async () => {
      const closed = await AnthropicStandIn.start();
      const url = closed.url;
      await closed.stop();
      const outcome = await runTurn(
        deps({ model: new AnthropicModel(settings({ baseUrl: url, retries: 1 })) }),
        "hi",
      );
      expect(endingSentence(outcome)).toBe(
        `I couldn't answer: the model API at ${url} cannot be reached (ECONNREFUSED) — gave up after 2 attempts. Try again in a minute.`,
      );
    });

    test("a failure after tools ran says which ran", async () => {
      standIn.script(callTool("fs_list", { path: "/" }), fail(401));
      const outcome = await runTurn(deps(), "hi");
      expect(endingSentence(outcome)).toMatch(/\(tools already run this turn: fs.list\)/);
      expect(outcome.messages.map((m) => m.role)).toEqual(["user", "assistant", "user", "assistant"]);
    });
  });
});
