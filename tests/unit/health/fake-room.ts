import type { AlertRef, AlertRoom } from "../../../health/incident-gate";

export interface Sent {
  kind: "push" | "edit" | "notice";
  text: string;
  eventId?: string;
  replyTo?: string;
  edits?: string;
}

/** The control room as a recording fake: pushes get event ids, edits name the alert they change. */
export class FakeRoom implements AlertRoom {
  readonly sent: Sent[] = [];
  push(text: string, replyTo?: AlertRef): Promise<AlertRef> {
    const eventId = `$e${this.sent.length + 1}`;
    this.sent.push({ kind: "push", text, eventId, ...(replyTo ? { replyTo: replyTo.eventId } : {}) });
    return Promise.resolve({ roomId: "!alerts", eventId });
  }
  edit(alert: AlertRef, text: string): Promise<void> {
    this.sent.push({ kind: "edit", text, edits: alert.eventId });
    return Promise.resolve();
  }
  notice(text: string): Promise<void> {
    this.sent.push({ kind: "notice", text });
    return Promise.resolve();
  }
  pushes(): Sent[] {
    return this.sent.filter((m) => m.kind === "push");
  }
}
