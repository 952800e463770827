import type { Tool } from "../capabilities/types";
import type { Logger } from "../common/log";
import { describeCall } from "./describe";
import { abortableModel, abortableTools, type DeviceAnswer, type FanoutCall } from "./fanout";
import type { HistoryStore } from "./history";
import { runTurn, type TurnOutcome } from "./loop";
import type { Model } from "./model";
import { truncateText } from "./truncate";

/** What an `!ask` fan-out hands one device's agent. */
export interface OneShotRequest {
  question: string;
  /** The operator who asked: in every audit row, and named in the room. */
  caller: string;
  /** How they asked (`!ask all`), shown in the room and kept in its history. */
  label: string;
  call: FanoutCall;
}

export interface OneShotDeps {
  model: Model;
  system: string;
  /** The device's own tools: the model may try any, and is told when one is skipped. */
  tools: readonly Tool[];
  limits: { maxToolRounds: number; toolOutputMaxChars: number };
  history: HistoryStore;
  /** The device room and its agent's voice there; undefined when the device has no room. */
  room?: { id: string; notice(text: string): Promise<string> };
  /** The sentence a room reads when a turn ends without the model's answer (agents/host.ts). */
  ending(outcome: TurnOutcome): string | undefined;
  maxRoomChars: number;
  log: Logger;
}

/** What the model reads when a call that needs an operator is not asked about during a fan-out. */
export const FANOUT_SKIP =
  "this question was sent to many devices at once (!ask), and no operator is asked to approve anything during one, so the call was skipped. Answer with what read-only calls can tell, and say which step would need approval in this device's own room.";

/**
 * One fan-out turn (see AgentHost.askOnce for what it does to the room and its history).
 * Approvals answer "skipped" at once and post no card; text the model writes is collected,
 * not posted piecemeal; the room gets one notice with the question and the whole answer.
 */
export async function oneShotTurn(deps: OneShotDeps, request: OneShotRequest): Promise<DeviceAnswer> {
  const { signal, skipped } = request.call;
  const log = deps.log.child({ fanout: request.label });
  const said: string[] = [];
  const notes: string[] = [];
  const outcome = await runTurn(
    {
      model: abortableModel(deps.model, signal),
      system: deps.system,
      tools: abortableTools(deps.tools, signal),
      history: [],
      caller: request.caller,
      maxToolRounds: deps.limits.maxToolRounds,
      toolOutputMaxChars: deps.limits.toolOutputMaxChars,
      approve: (tool, input) => {
        skipped.push(describeCall(tool.name, input));
        return Promise.resolve({ outcome: "skipped", reason: FANOUT_SKIP });
      },
      say: (text) => Promise.resolve(void said.push(text)),
      notice: (text) => Promise.resolve(void notes.push(text)),
      log,
    },
    request.question,
  );
  const ending = deps.ending(outcome);
  const final = said[said.length - 1];
  const answer = final ?? ending ?? "(no answer)";
  // A turn the fan-out gave up on is not history: its answer was never reported.
  if (deps.room && !signal.aborted)
    deps.history.append(deps.room.id, [
      { role: "user", content: [{ type: "text", text: `(${request.label}) ${request.question}` }] },
      { role: "assistant", content: [{ type: "text", text: answer }] },
    ]);
  if (deps.room) {
    const late = signal.aborted ? " — this answer came after the fan-out had timed out" : "";
    const body = [...notes, ...said, ...(ending ? [ending] : [])].join("\n\n") || answer;
    await deps.room
      .notice(
        truncateText(
          `📣 ${request.caller} asked (${request.label})${late}: ${request.question}\n\n${body}`,
          deps.maxRoomChars,
        ).text,
      )
      .catch((error: unknown) => log.warn({ err: error }, "could not post the fan-out answer in the room"));
  }
  log.info(
    { calls: outcome.calls.map((c) => `${c.tool}:${c.outcome}`), skipped: skipped.length },
    "fan-out turn finished",
  );
  if (final === undefined && outcome.failure) return { kind: "failed", reason: outcome.failure.sentence };
  return { kind: "answered", text: answer };
}
