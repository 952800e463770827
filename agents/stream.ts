import type { Logger } from "../common/log";
import { answerContent, replaceContent, streamedText, type AnswerType } from "./stream-content";

/** Time and timers, injected so tests can step through a stream without waiting. */
export interface StreamClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: StreamClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** Sends one event's content to the room; resolves with its event id. */
export type SendContent = (content: Record<string, unknown>) => Promise<string>;

/**
 * One message that grows as the model writes: the first text posts it (an m.notice, which
 * never pushes), later text edits it in place — coalesced, at most one send per
 * `minIntervalMs` and always the newest text — and `finish` lands the final text with its
 * final msgtype in one last edit. Sends go out one at a time, in order; a failed send is
 * logged and the next one carries the newer text anyway.
 */
export class StreamedMessage {
  private text = "";
  private eventId: string | undefined;
  private shown: { text: string; msgtype: AnswerType } | undefined;
  private timer: unknown;
  private lastSendAt = Number.NEGATIVE_INFINITY;
  private sending: Promise<void> = Promise.resolve();
  private finished = false;
  /** Sends made, for the log: the post, then each edit. */
  sends = 0;

  constructor(
    private readonly send: SendContent,
    private readonly log: Logger,
    private readonly clock: StreamClock = systemClock,
    private readonly minIntervalMs = 1000,
  ) {}

  /** True once text worth showing arrived (whitespace alone posts nothing). */
  get started(): boolean {
    return this.text.trim() !== "";
  }

  get sofar(): string {
    return this.text;
  }

  append(delta: string): void {
    if (this.finished || !delta) return;
    const wasStarted = this.started;
    this.text += delta;
    if (!this.started) return;
    if (!wasStarted) this.flush("m.notice");
    else this.schedule();
  }

  /**
   * The last text always lands: the final edit (or, when nothing was posted yet, the post)
   * carries `text` as `msgtype`. Resolves once every send is out; returns the event id.
   */
  async finish(text: string, msgtype: AnswerType): Promise<string | undefined> {
    this.finished = true;
    this.cancelTimer();
    this.text = text;
    this.flush(msgtype);
    await this.sending;
    return this.eventId;
  }

  private schedule(): void {
    if (this.timer !== undefined) return;
    const wait = Math.max(0, this.lastSendAt + this.minIntervalMs - this.clock.now());
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.flush("m.notice");
    }, wait);
  }

  private cancelTimer(): void {
    if (this.timer === undefined) return;
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private flush(msgtype: AnswerType): void {
    this.lastSendAt = this.clock.now();
    this.sending = this.sending.then(() =>
      this.sendNewest(msgtype).catch((error: unknown) =>
        this.log.warn({ err: error }, "could not post or edit the streamed answer"),
      ),
    );
  }

  /** Whatever the text is when its turn to go out comes: sends queued behind a slow one merge. */
  private async sendNewest(msgtype: AnswerType): Promise<void> {
    const text = streamedText(this.text);
    if (this.eventId === undefined && !text.trim()) return;
    if (this.shown?.text === text && this.shown.msgtype === msgtype) return;
    const content = answerContent(text, msgtype);
    if (this.eventId === undefined) this.eventId = await this.send(content);
    else await this.send(replaceContent(this.eventId, content));
    this.sends++;
    this.shown = { text, msgtype };
  }
}
