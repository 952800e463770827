import type { StreamClock } from "../../../agents/stream";

/** Lets pending promise callbacks (sends, their .then chains) run. */
export const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A clock a test moves by hand: timers fire in order as `advance` passes them. */
export class ManualClock implements StreamClock {
  private t = 0;
  private nextId = 0;
  private timers: Array<{ id: number; at: number; fn: () => void }> = [];

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.nextId;
    this.timers.push({ id, at: this.t + ms, fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers = this.timers.filter((timer) => timer.id !== handle);
  }

  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      const due = this.timers.filter((timer) => timer.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.timers = this.timers.filter((timer) => timer !== due);
      this.t = due.at;
      due.fn();
      await settle();
    }
    this.t = end;
    await settle();
  }
}

/** A room that records every event's content and when it was sent, and hands out event ids. */
export function recordingRoom(clock: ManualClock): {
  sent: Array<{ at: number; content: Record<string, unknown> }>;
  send: (content: Record<string, unknown>) => Promise<string>;
} {
  const sent: Array<{ at: number; content: Record<string, unknown> }> = [];
  return {
    sent,
    send: (content) => {
      sent.push({ at: clock.now(), content });
      return Promise.resolve(`$e${sent.length}`);
    },
  };
}
