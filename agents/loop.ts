import { toolDefinition, toolNameMap } from "../capabilities/registry";
import type { ApprovalNeed, Tool, ToolResult } from "../capabilities/types";
import { errorMessage } from "../common/errors";
import type { Logger } from "../common/log";
import type { ApprovalDecision } from "./approvals";
import type { AgentMessage, ToolResultBlock, ToolUseBlock } from "./messages";
import { ModelError, type Model } from "./model";
import { truncateText } from "./truncate";

export interface TurnDeps {
  model: Model;
  system: string;
  tools: readonly Tool[];
  history: readonly AgentMessage[];
  /** The operator whose message this turn answers; goes into every audit row. */
  caller: string;
  maxToolRounds: number;
  toolOutputMaxChars: number;
  /** Asks the operators about this exact call; resolves with their answer (or the timeout). */
  approve(tool: Tool, input: Record<string, unknown>, need: ApprovalNeed): Promise<ApprovalDecision>;
  /** What the agent says in the room (text the model wrote). */
  say(text: string): Promise<void>;
  /**
   * Optional streaming, used instead of say(): `text` gets each piece of a reply's text as
   * the model writes it, and `done` gets the reply's whole text ("" when it wrote none) once
   * the reply is complete, `final` when no tool call follows it.
   */
  stream?: { text(delta: string): void; done(text: string, final: boolean): Promise<void> };
  /** A plain statement from meshpilot itself (a refusal by policy). */
  notice(text: string): Promise<void>;
  log: Logger;
}

export interface ToolCallRecord {
  tool: string;
  input: Record<string, unknown>;
  outcome: "done" | "failed" | "refused" | "declined" | "unknown_tool";
}

export interface TurnOutcome {
  /** This turn's messages, closed (ends with the assistant), ready for history. */
  messages: AgentMessage[];
  calls: ToolCallRecord[];
  failure?: ModelError;
  /** True when the model's tool rounds ran out before a final answer. */
  roundsExhausted: boolean;
}

/**
 * One turn: the operator's words → model → tools → model … until the model answers
 * without calling a tool, or the rounds run out. Tool failures go back to the model as
 * is_error results; nothing a tool does throws out of here.
 */
export async function runTurn(deps: TurnDeps, userText: string): Promise<TurnOutcome> {
  const turn: AgentMessage[] = [{ role: "user", content: [{ type: "text", text: userText }] }];
  const calls: ToolCallRecord[] = [];
  const definitions = deps.tools.map(toolDefinition);
  const byName = toolNameMap(deps.tools);
  for (let round = 0; ; round++) {
    let reply;
    try {
      const stream = deps.stream;
      reply = await deps.model.create(
        { system: deps.system, messages: [...deps.history, ...turn], tools: definitions },
        stream ? { onText: (delta) => stream.text(delta) } : {},
      );
    } catch (error) {
      if (!(error instanceof ModelError)) throw error;
      return {
        messages: close(turn, `[this turn ended without an answer: ${error.sentence}]`),
        calls,
        failure: error,
        roundsExhausted: false,
      };
    }
    const content =
      reply.content.length > 0 ? reply.content : [{ type: "text" as const, text: "(no answer)" }];
    turn.push({ role: "assistant", content });
    const text = content
      .flatMap((b) => (b.type === "text" && b.text.trim() ? [b.text.trim()] : []))
      .join("\n\n");
    const uses = content.filter((b): b is ToolUseBlock => b.type === "tool_use");
    const note = reply.stopReason === "max_tokens" ? "\n\n[answer cut at llm.max_tokens]" : "";
    const said = text ? `${text}${note}` : "";
    if (deps.stream) await deps.stream.done(said, uses.length === 0);
    else if (said) await deps.say(said);
    if (uses.length === 0) return { messages: turn, calls, roundsExhausted: false };
    if (round >= deps.maxToolRounds) {
      const results = uses.map((u) => errorResult(u, "not run: this turn reached its limit of tool rounds"));
      turn.push({ role: "user", content: results });
      return { messages: close(turn, "[stopped: tool round limit reached]"), calls, roundsExhausted: true };
    }
    const results: ToolResultBlock[] = [];
    for (const use of uses) results.push(await dispatch(deps, byName, use, calls));
    turn.push({ role: "user", content: results });
  }
}

async function dispatch(
  deps: TurnDeps,
  byName: ReadonlyMap<string, Tool>,
  use: ToolUseBlock,
  calls: ToolCallRecord[],
): Promise<ToolResultBlock> {
  const tool = byName.get(use.name);
  const input = typeof use.input === "object" && use.input !== null ? use.input : {};
  const record = (outcome: ToolCallRecord["outcome"]): void => {
    calls.push({ tool: tool?.name ?? use.name, input, outcome });
  };
  if (!tool) {
    record("unknown_tool");
    return errorResult(
      use,
      `there is no tool named ${use.name}; the tools are: ${deps.tools.map((t) => t.name).join(", ")}`,
    );
  }
  let need: ApprovalNeed;
  try {
    need = tool.classify(input);
  } catch (error) {
    // A call whose class cannot be computed is not sent: fail closed.
    deps.log.warn({ tool: tool.name, err: error }, "could not classify a call");
    record("failed");
    return errorResult(
      use,
      `error: this call could not be checked (${errorMessage(error)}). It was not run.`,
    );
  }
  let approvedBy: string | undefined;
  if (need.needed) {
    const decision = await deps.approve(tool, input, need);
    if (decision.outcome !== "allowed") {
      record("declined");
      return errorResult(
        use,
        decision.outcome === "refused"
          ? `The operator (${decision.by}) refused this call. It was not run. Do not retry it unless the operator asks again.`
          : decision.outcome === "skipped"
            ? `Not run: ${decision.reason}`
            : `No operator approved this call within ${decision.afterS} s, so it was declined. It was not run.`,
      );
    }
    approvedBy = decision.by;
  }
  let result: ToolResult;
  try {
    result = await withTimeout(
      tool.execute(input, { caller: deps.caller, ...(approvedBy ? { approvedBy } : {}) }),
      tool.timeoutMs,
      tool.name,
    );
  } catch (error) {
    deps.log.warn({ tool: tool.name, err: error }, "tool failed");
    record("failed");
    return errorResult(use, `error: ${errorMessage(error)}`);
  }
  if (result.refusal) {
    record("refused");
    await deps.notice(`🚫 ${tool.name} was refused by policy: ${result.refusal}. Nothing ran.`);
    return errorResult(
      use,
      `Refused by policy: ${result.refusal}. Nothing ran. Do not try to get around this.`,
    );
  }
  record(result.ok ? "done" : "failed");
  const { text } = truncateText(result.output, deps.toolOutputMaxChars);
  return {
    type: "tool_result",
    tool_use_id: use.id,
    content: text || "(no output)",
    ...(result.ok ? {} : { is_error: true }),
  };
}

function errorResult(use: ToolUseBlock, text: string): ToolResultBlock {
  return { type: "tool_result", tool_use_id: use.id, content: text, is_error: true };
}

/** History must alternate and end with the assistant: a failed turn is closed with a note. */
function close(turn: AgentMessage[], note: string): AgentMessage[] {
  const last = turn[turn.length - 1];
  if (last?.role === "assistant") return turn;
  return [...turn, { role: "assistant", content: [{ type: "text", text: note }] }];
}

function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${Math.round(ms / 1000)} s`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
