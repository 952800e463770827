import type { ApprovalDecision } from "../../../agents/approvals";
import { runTurn, type TurnDeps } from "../../../agents/loop";
import type { ToolUseBlock } from "../../../agents/messages";
import type { Model, ModelReply } from "../../../agents/model";
import type { ApprovalNeed, Tool } from "../../../capabilities/types";
import { memoryLogger } from "../support/fakes";

const OP = "@op:example.org";

/** shell.exec's fake class, like the policy's: from the exact argv (ls reads; find -exec is refused). */
function classify(input: Record<string, unknown>): ApprovalNeed {
  const argv = Array.isArray(input.argv) ? input.argv.map(String) : [];
  if (argv.includes("-exec"))
    return { needed: false, callClass: "run", reason: "find -exec is not allowed (it would run a program)" };
  if (argv[0] === "ls") return { needed: false, callClass: "read", reason: "ls only reads" };
  return {
    needed: true,
    callClass: "change",
    reason: `${argv[0] ?? "?"} ${argv[1] ?? ""} changes a service's state`,
  };
}

/** A model that calls the given tools once, then answers. */
function scripted(uses: ToolUseBlock[]): Model {
  let round = 0;
  return {
    create: () =>
      Promise.resolve<ModelReply>(
        round++ === 0
          ? { content: uses, stopReason: "tool_use" }
          : { content: [{ type: "text", text: "ok" }], stopReason: "end_turn" },
      ),
  };
}

describe("the agent loop asks by the class of each exact call", () => {
  let sent: Array<{ input: unknown; approvedBy?: string }>;
  let asked: Array<{ input: unknown; need: ApprovalNeed }>;
  let decision: ApprovalDecision;
  const exec = (overrides: Partial<Tool> = {}): Tool => ({
    name: "shell.exec",
    description: "runs a program",
    inputSchema: {},
    classify,
    timeoutMs: 1000,
    execute: (input, ctx) => {
      const need = classify(input);
      // Like the provider: a refused call is answered here and never sent.
      if (need.reason.includes("not allowed"))
        return Promise.resolve({ ok: false, refusal: need.reason, output: `refused: ${need.reason}` });
      sent.push({ input, ...(ctx.approvedBy ? { approvedBy: ctx.approvedBy } : {}) });
      return Promise.resolve({ ok: true, output: "done" });
    },
    ...overrides,
  });
  const deps = (uses: ToolUseBlock[], tool: Tool = exec()): TurnDeps => ({
    model: scripted(uses),
    system: "test",
    tools: [tool],
    history: [],
    caller: OP,
    maxToolRounds: 3,
    toolOutputMaxChars: 1000,
    approve: (_tool, input, need) => {
      asked.push({ input, need });
      return Promise.resolve(decision);
    },
    say: () => Promise.resolve(),
    notice: () => Promise.resolve(),
    log: memoryLogger().log,
  });
  const use = (id: string, argv: string[]): ToolUseBlock => ({
    type: "tool_use",
    id,
    name: "shell_exec",
    input: { argv },
  });

  beforeEach(() => {
    sent = [];
    asked = [];
    decision = { outcome: "allowed", by: OP };
  });

  test("a read argv runs without asking; a change argv asks first and runs with its approval", async () => {
    const outcome = await runTurn(
      deps([use("a", ["ls", "/srv"]), use("b", ["systemctl", "restart", "nginx"])]),
      "restart nginx",
    );
    expect(asked).toEqual([
      {
        input: { argv: ["systemctl", "restart", "nginx"] },
        need: { needed: true, callClass: "change", reason: "systemctl restart changes a service's state" },
      },
    ]);
    expect(sent).toEqual([
      { input: { argv: ["ls", "/srv"] } },
      { input: { argv: ["systemctl", "restart", "nginx"] }, approvedBy: OP },
    ]);
    expect(outcome.calls.map((c) => c.outcome)).toEqual(["done", "done"]);
  });

  test("a refused approval: the call is not sent and the model is told", async () => {
    decision = { outcome: "refused", by: OP };
    const outcome = await runTurn(deps([use("a", ["systemctl", "stop", "sshd"])]), "stop ssh");
    expect(sent).toEqual([]);
    expect(outcome.calls.map((c) => c.outcome)).toEqual(["declined"]);
  });

  test("find -exec is never sent, and no operator is asked to approve it", async () => {
    const outcome = await runTurn(deps([use("a", ["find", ".", "-exec", "sh", "-c", "id", ";"])]), "find");
    expect(asked).toEqual([]);
    expect(sent).toEqual([]);
    expect(outcome.calls.map((c) => c.outcome)).toEqual(["refused"]);
    const results = outcome.messages.flatMap((m) =>
      m.content.flatMap((b) => (b.type === "tool_result" ? [b.content] : [])),
    );
    expect(results).toEqual([
      "Refused by policy: find -exec is not allowed (it would run a program). Nothing ran. Do not try to get around this.",
    ]);
  });

  test("a call whose class cannot be computed is not run, and no one is asked", async () => {
    const broken = exec({
      classify: () => {
        throw new Error("policy table missing");
      },
    });
    const outcome = await runTurn(deps([use("a", ["ls"])], broken), "ls");
    expect(asked).toEqual([]);
    expect(sent).toEqual([]);
    expect(outcome.calls.map((c) => c.outcome)).toEqual(["failed"]);
  });
});
