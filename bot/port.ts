import type { MessageContent } from "./reply";

/**
 * The little of Matrix that command handling needs, as one user (the bot or an agent).
 * The appservice provides the real one; unit tests hand in a recording fake.
 */
export interface MatrixPort {
  readonly userId: string;
  send(roomId: string, content: MessageContent): Promise<string>;
  react(roomId: string, eventId: string, key: string): Promise<void>;
}
