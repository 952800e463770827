import type { Logger } from "../common/log";
import { StreamedMessage, systemClock, type SendContent, type StreamClock } from "./stream";
import { answerContent } from "./stream-content";
import { truncateText } from "./truncate";

export interface AnswerStreamOptions {
  /** The operator whose message this turn answers: the one a long answer mentions. */
  caller: string;
  /** llm.push_after_s in ms: a turn longer than this ends with a new m.text that pushes. */
  pushAfterMs: number;
  /** Longest new message (a long turn's final answer). */
  maxChars: number;
  log: Logger;
  clock?: StreamClock;
  minIntervalMs?: number;
}

/**
 * The agent's text in the room for one turn, streamed. Each model reply streams into its own
 * message (text written before a tool call stays above the approval card and the tool's
 * notices, and the next reply starts a new message below them). What pushes to the phone:
 *   - streamed messages are m.notice while they grow (Synapse never pushes notices), and
 *     their last edit turns them into m.text (edits never push) — a quick turn rings nothing;
 *   - when the turn took longer than push_after_s, its final answer is also posted as a new
 *     m.text that mentions the operator who asked — the one event that pushes, with the whole
 *     answer on the lock screen (the streamed draft above it stays a notice).
 * A reply whose text never streamed (a model without streaming) is one m.text, as before.
 */
export class AnswerStream {
  private current: StreamedMessage | undefined;
  private readonly clock: StreamClock;
  private readonly startedAt: number;
  /** What this turn sent, for the log and tests. */
  readonly stats = { messages: 0, sends: 0, pushed: 0 };

  constructor(
    private readonly send: SendContent,
    private readonly options: AnswerStreamOptions,
  ) {
    this.clock = options.clock ?? systemClock;
    this.startedAt = this.clock.now();
  }

  text(delta: string): void {
    this.current ??= new StreamedMessage(this.send, this.options.log, this.clock, this.options.minIntervalMs);
    this.current.append(delta);
  }

  /** A reply is complete: `text` is all of its text; `final` when no tool call follows it. */
  async done(text: string, final: boolean): Promise<void> {
    const message = this.take();
    if (!text.trim()) return;
    const long = final && this.clock.now() - this.startedAt > this.options.pushAfterMs;
    if (message) await this.finish(message, text, long ? "m.notice" : "m.text");
    else if (!long) await this.post(text);
    if (long) {
      await this.post(text, this.options.caller);
      this.stats.pushed++;
    }
  }

  /** The turn ended without finishing its reply (the model failed midway): what arrived lands. */
  async abandon(): Promise<void> {
    const message = this.take();
    if (message)
      await this.finish(message, `${message.sofar.trimEnd()} …\n\n[the answer broke off here]`, "m.text");
  }

  private take(): StreamedMessage | undefined {
    const message = this.current;
    this.current = undefined;
    return message?.started ? message : undefined;
  }

  private async finish(
    message: StreamedMessage,
    text: string,
    msgtype: "m.text" | "m.notice",
  ): Promise<void> {
    await message.finish(text, msgtype);
    this.stats.messages++;
    this.stats.sends += message.sends;
  }

  private async post(text: string, mention?: string): Promise<void> {
    const content = answerContent(truncateText(text, this.options.maxChars).text, "m.text", mention);
    await this.send(content).catch((error: unknown) =>
      this.options.log.warn({ err: error }, "could not post the answer"),
    );
    this.stats.messages++;
    this.stats.sends++;
  }
}

/** llm.push_after_s's default, for a host built without it. */
const DEFAULT_PUSH_AFTER_S = 20;

/** An AnswerStream for one turn in a room that can post raw content; undefined when it cannot. */
export function streamAnswers(
  room: { send?: SendContent },
  options: { caller: string; pushAfterS: number | undefined; maxChars: number; log: Logger },
): AnswerStream | undefined {
  const send = room.send?.bind(room);
  if (!send) return undefined;
  return new AnswerStream(send, {
    caller: options.caller,
    pushAfterMs: (options.pushAfterS ?? DEFAULT_PUSH_AFTER_S) * 1000,
    maxChars: options.maxChars,
    log: options.log,
  });
}
