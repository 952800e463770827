import type { Logger } from "../common/log";
import type { MatrixPort } from "./port";
import { editContent, noticeContent, type Reply } from "./reply";

/**
 * One notice edited in place as a job runs. Edits are coalesced to at most one per
 * interval (only the newest state is sent), and the final state is always sent.
 */
export class ProgressMessage {
  private eventId: string | undefined;
  private pending: Reply | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastSent = 0;
  private sending: Promise<void> = Promise.resolve();

  constructor(
    private readonly port: MatrixPort,
    private readonly roomId: string,
    private readonly log: Logger,
    private readonly minIntervalMs = 1000,
  ) {}

  async post(reply: Reply): Promise<void> {
    this.eventId = await this.port.send(this.roomId, noticeContent(reply));
    this.lastSent = Date.now();
  }

  update(reply: Reply): void {
    this.pending = reply;
    if (this.timer || !this.eventId) return;
    const wait = Math.max(0, this.lastSent + this.minIntervalMs - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, wait);
  }

  /** Sends the final state now and waits for every edit to be out. */
  async finish(reply: Reply): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = reply;
    this.flush();
    await this.sending;
  }

  private flush(): void {
    const reply = this.pending;
    const eventId = this.eventId;
    if (!reply || !eventId) return;
    this.pending = undefined;
    this.lastSent = Date.now();
    this.sending = this.sending
      .then(() => this.port.send(this.roomId, editContent(eventId, noticeContent(reply))))
      .then(
        () => undefined,
        (error: unknown) => this.log.warn({ err: error }, "could not edit the progress message"),
      );
  }
}
