import { Writable } from "node:stream";
import { createLogger, type Logger } from "../../../common/log";
import type { MatrixPort } from "../../../bot/port";
import type { MessageContent } from "../../../bot/reply";

/** A MatrixPort that records what would have been sent. */
export class RecordingPort implements MatrixPort {
  readonly sent: Array<{ roomId: string; content: MessageContent }> = [];
  readonly reactions: Array<{ roomId: string; eventId: string; key: string }> = [];
  constructor(readonly userId = "@meshpilot:example.org") {}
  send(roomId: string, content: MessageContent): Promise<string> {
    this.sent.push({ roomId, content });
    return Promise.resolve(`$sent${this.sent.length}`);
  }
  react(roomId: string, eventId: string, key: string): Promise<void> {
    this.reactions.push({ roomId, eventId, key });
    return Promise.resolve();
  }
}

/** A real pino logger writing JSON lines into memory. */
export function memoryLogger(level = "trace"): { log: Logger; lines: () => Array<Record<string, unknown>> } {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  const log = createLogger({ level, pretty: false, destination });
  return {
    log,
    lines: () =>
      chunks
        .join("")
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}
