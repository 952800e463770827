import type { Logger } from "../common/log";
import type { Device } from "../state/devices";
import type { RoomMessage } from "./dispatch";

/**
 * Where an operator's words go, typed or transcribed from a voice message: commands in
 * the rooms the bot is in (the control room, DMs with the bot), and turns for a device's
 * agent in that device's room. Authorization is the same for every path: operators only.
 */
export interface RouterDeps {
  operators: ReadonlySet<string>;
  /** Rooms the bot user has joined (cached by the SDK). */
  botRooms(): Promise<readonly string[]>;
  deviceForRoom(roomId: string): Device | undefined;
  dispatchCommand(message: RoomMessage): Promise<boolean>;
  /** A turn for the device's agent; undefined until agents exist. */
  agentTurn?: (device: Device, message: RoomMessage) => Promise<void>;
  log: Logger;
}

/** Where a message would go: the command table, or a device's agent. */
export type Destination = { kind: "commands" } | { kind: "agent"; device: Device };

export class MessageRouter {
  constructor(private readonly deps: RouterDeps) {}

  /**
   * Where an operator's message in this room would go; undefined (and logged) when it
   * would be ignored. Voice asks this first, so nothing is downloaded or transcribed for
   * someone who is not obeyed or in a room the bot does not serve.
   */
  async destination(message: Pick<RoomMessage, "roomId" | "sender">): Promise<Destination | undefined> {
    const { deps } = this;
    if (!deps.operators.has(message.sender)) {
      deps.log.debug(
        { sender: message.sender, roomId: message.roomId },
        "ignored a message from someone who is not an operator",
      );
      return undefined;
    }
    const device = deps.deviceForRoom(message.roomId);
    if (device) return { kind: "agent", device };
    if ((await deps.botRooms()).includes(message.roomId)) return { kind: "commands" };
    return undefined;
  }

  async route(message: RoomMessage): Promise<void> {
    const { deps } = this;
    const destination = await this.destination(message);
    if (destination?.kind === "agent") {
      if (!deps.agentTurn) {
        deps.log.debug({ device: destination.device.name }, "no agent to hand this message to yet");
        return;
      }
      await deps.agentTurn(destination.device, message);
      return;
    }
    if (destination?.kind === "commands") await deps.dispatchCommand(message);
  }
}
