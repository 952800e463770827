import type { ToolRegistry } from "../capabilities/registry";
import type { ApprovalNeed, Tool } from "../capabilities/types";
import { describeFailure } from "../common/errors";
import type { Logger } from "../common/log";
import type { Device } from "../state/devices";
import { askOperators } from "./approval-ask";
import type { ApprovalBroker, ApprovalDecision } from "./approvals";
import type { CardMessage } from "./card";
import type { DeviceAnswer } from "./fanout";
import { oneShotTurn, type OneShotRequest } from "./one-shot";
import type { HistoryStore } from "./history";
import { runTurn, type TurnOutcome } from "./loop";
import type { Model, ModelError } from "./model";
import { promptVars, readPromptTemplate, renderPrompt } from "./prompt";
import { streamAnswers } from "./stream-answer";
import { truncateText } from "./truncate";

/** What an agent can do in its room, as its own Matrix user (built by the bot layer). */
export interface AgentRoom {
  /** An m.text from the agent. */
  say(text: string): Promise<string>;
  /** An m.notice from the agent: meshpilot's own statements. */
  notice(text: string): Promise<string>;
  /**
   * An m.text mentioning the operators, so it reaches their phones; returns its event id.
   * The message comes with its own HTML (the approval card), used as it is.
   */
  ask(message: CardMessage): Promise<string>;
  typing(on: boolean): Promise<void>;
  /** Optional: raw message content (streamed answers post and edit with it); resolves with its event id. */
  send?(content: Record<string, unknown>): Promise<string>;
}

export interface AgentMessageIn {
  roomId: string;
  eventId: string;
  sender: string;
  body: string;
}

export interface AgentHostDeps {
  /** Undefined when the config has no llm section: the agent then says so. */
  model: Model | undefined;
  /** Wraps the model for one device (agents/metered-model.ts): usage counted, daily limits kept. */
  meter?: (model: Model, device: Device) => Model;
  registry: ToolRegistry;
  history: HistoryStore;
  approvals: ApprovalBroker;
  roomFor(device: Device, roomId: string): AgentRoom;
  limits: {
    maxToolRounds: number;
    toolOutputMaxChars: number;
    approvalTimeoutS: number;
    /** llm.push_after_s: a turn longer than this ends with an answer that pushes. */
    pushAfterS?: number;
  };
  agentPort: number;
  log: Logger;
}

/** Longest message the agent posts; Matrix events are capped at 64 KiB. */
const ROOM_MAX_CHARS = 16_000;
const TYPING_REFRESH_MS = 20_000;

/**
 * Every device's agent in one place: one turn at a time per room (later messages wait
 * their turn), the typing indicator while it works, approvals, and a plain sentence in
 * the room for every way a turn can fail.
 */
export class AgentHost {
  private readonly queues = new Map<string, Promise<void>>();
  private readonly templates = new Map<Device["backend"], string>();

  constructor(private readonly deps: AgentHostDeps) {}

  /** An operator's message in a device room (typed, or transcribed from voice). */
  async handle(device: Device, message: AgentMessageIn): Promise<void> {
    const { approvals } = this.deps;
    // An answer to a pending approval must not queue behind the turn that is waiting for it.
    if (approvals.onReply(message.roomId, message.sender, message.body)) return;
    const room = this.deps.roomFor(device, message.roomId);
    if (approvals.hasPending(message.roomId)) {
      await room.notice(
        "I'm waiting for an answer to the approval request above (yes or no); your message comes next.",
      );
    }
    const previous = this.queues.get(message.roomId) ?? Promise.resolve();
    const next = previous.then(() => this.turn(device, message, room));
    this.queues.set(message.roomId, next);
    try {
      await next;
    } finally {
      if (this.queues.get(message.roomId) === next) this.queues.delete(message.roomId);
    }
  }

  /**
   * One turn for a fan-out (`!ask`; see agents/fanout.ts). It does not queue behind the
   * room's own turn (which may wait minutes for an approval) and reads no history, so every
   * device answers the same question from a clean slate. No operator is asked: a call that
   * needs approval is skipped, listed in `call.skipped`, and the model is told so. The full
   * answer goes to the device room as one notice (fifty rooms must not ring the phone fifty
   * times; the merged answer does), and the question with the final answer enters the room's
   * history as one closed turn, without its tool calls, so a follow-up typed there has context.
   */
  async askOnce(device: Device, request: OneShotRequest): Promise<DeviceAnswer> {
    const model = this.modelFor(device);
    if (!model) return { kind: "no_model" };
    const tools = this.deps.registry.toolsFor(device);
    const roomId = device.room_id;
    return oneShotTurn(
      {
        model,
        system: renderPrompt(this.template(device.backend), promptVars(device, tools, this.deps.agentPort)),
        tools,
        limits: this.deps.limits,
        history: this.deps.history,
        ...(roomId
          ? { room: { id: roomId, notice: (text: string) => this.notice(device, roomId, text) } }
          : {}),
        ending: endingSentence,
        maxRoomChars: ROOM_MAX_CHARS,
        log: this.deps.log.child({ device: device.name }),
      },
      request,
    );
  }

  private notice(device: Device, roomId: string, text: string): Promise<string> {
    return this.deps.roomFor(device, roomId).notice(text);
  }

  /** A reaction in a device room: an approval answer, or nothing. */
  onReaction(roomId: string, sender: string, targetEventId: string, key: string): boolean {
    return this.deps.approvals.onReaction(roomId, sender, targetEventId, key);
  }

  /** At start-up: approvals a previous process left waiting are declined, and their rooms told. */
  async declineLeftovers(deviceByName: (name: string) => Device | undefined): Promise<number> {
    const leftovers = this.deps.approvals.declineLeftovers();
    for (const left of leftovers) {
      const device = deviceByName(left.device);
      if (!device) continue;
      await this.deps
        .roomFor(device, left.roomId)
        .say(
          `meshpilot restarted while waiting for approval of \`${left.call}\`, so it was declined and not run. Ask again if you still want it.`,
        )
        .catch((error: unknown) =>
          this.deps.log.warn({ err: error, device: left.device }, "could not tell the room"),
        );
    }
    if (leftovers.length > 0)
      this.deps.log.info({ count: leftovers.length }, "declined approvals left by a restart");
    return leftovers.length;
  }

  private async turn(device: Device, message: AgentMessageIn, room: AgentRoom): Promise<void> {
    const log = this.deps.log.child({ device: device.name, roomId: message.roomId });
    const model = this.modelFor(device);
    if (!model) {
      await room.say(
        "I have no model to think with: meshpilot's config has no llm: section (see config/meshpilot.example.yaml).",
      );
      return;
    }
    const typing = new Typing(room, log);
    // The model's text streams into the room, edited in place (agents/stream-answer.ts).
    const answers = streamAnswers(room, {
      caller: message.sender,
      pushAfterS: this.deps.limits.pushAfterS,
      maxChars: ROOM_MAX_CHARS,
      log,
    });
    try {
      const tools = this.deps.registry.toolsFor(device);
      const system = renderPrompt(
        this.template(device.backend),
        promptVars(device, tools, this.deps.agentPort),
      );
      typing.start();
      const outcome = await runTurn(
        {
          model,
          system,
          tools,
          history: this.deps.history.load(message.roomId),
          caller: message.sender,
          maxToolRounds: this.deps.limits.maxToolRounds,
          toolOutputMaxChars: this.deps.limits.toolOutputMaxChars,
          approve: (tool, input, need) =>
            this.approve(device, message.roomId, room, typing, { tool, input, need }),
          say: async (text) => {
            await room.say(truncateText(text, ROOM_MAX_CHARS).text);
          },
          notice: async (text) => {
            await room.notice(text);
          },
          log,
          ...(answers ? { stream: answers } : {}),
        },
        message.body,
      );
      await answers?.abandon();
      this.deps.history.append(message.roomId, outcome.messages);
      log.info(
        { calls: outcome.calls.map((c) => `${c.tool}:${c.outcome}`), failed: outcome.failure?.kind },
        "turn finished",
      );
      const ending = endingSentence(outcome);
      if (ending) await room.say(ending);
    } catch (error) {
      await answers?.abandon();
      await room.say(describeFailure(log, "agent turn", error));
    } finally {
      await typing.stop();
    }
  }

  private async approve(
    device: Device,
    roomId: string,
    room: AgentRoom,
    typing: Typing,
    { tool, input, need }: { tool: Tool; input: Record<string, unknown>; need: ApprovalNeed },
  ): Promise<ApprovalDecision> {
    const decision = await askOperators(
      this.deps.approvals,
      device,
      roomId,
      room,
      { tool: tool.name, input, need },
      () => typing.stop(),
    );
    typing.start();
    return decision;
  }

  /** The model for one device's turns: metered (usage counted, daily limits kept) when configured. */
  private modelFor(device: Device): Model | undefined {
    const { model, meter } = this.deps;
    return model && meter ? meter(model, device) : model;
  }

  private template(backend: Device["backend"]): string {
    let template = this.templates.get(backend);
    if (!template) {
      template = readPromptTemplate(backend);
      this.templates.set(backend, template);
    }
    return template;
  }
}

/** What the room reads when the turn did not end with the model's own answer. */
export function endingSentence(outcome: TurnOutcome): string | undefined {
  const ran = outcome.calls.filter((c) => c.outcome === "done" || c.outcome === "failed");
  const already =
    ran.length > 0 ? ` (tools already run this turn: ${ran.map((c) => c.tool).join(", ")})` : "";
  // A daily token limit: its own sentence says what happened and what lifts it.
  if (outcome.failure?.kind === "budget") return outcome.failure.sentence;
  if (outcome.failure)
    return `I couldn't answer: ${outcome.failure.sentence}${attempts(outcome.failure)}.${already} ${advice(outcome.failure)}`;
  if (outcome.roundsExhausted)
    return `I stopped after the limit of tool rounds for one message (llm.max_tool_rounds) without a final answer${already}. Ask me to continue if you want more.`;
  return undefined;
}

function attempts(error: ModelError): string {
  return error.attempts > 1 ? ` — gave up after ${error.attempts} attempts` : "";
}

function advice(error: ModelError): string {
  switch (error.kind) {
    case "auth":
    case "forbidden":
      return "Retrying will not help until the key or account is fixed.";
    case "rejected":
      return "This looks like a bug in meshpilot; the log has the details.";
    default:
      return "Try again in a minute.";
  }
}

/** The typing indicator, refreshed while a turn works (Matrix expires it after its timeout). */
class Typing {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly room: AgentRoom,
    private readonly log: Logger,
  ) {}

  start(): void {
    if (this.timer) return;
    const send = (): void => {
      this.room.typing(true).catch((error: unknown) => this.log.debug({ err: error }, "typing failed"));
    };
    send();
    this.timer = setInterval(send, TYPING_REFRESH_MS);
  }

  async stop(): Promise<void> {
    if (!this.timer) return;
    clearInterval(this.timer);
    this.timer = undefined;
    await this.room.typing(false).catch((error: unknown) => this.log.debug({ err: error }, "typing failed"));
  }
}
