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

export class MessageRouter {
  constructor(private readonly deps: RouterDeps) {}

  async route(message: RoomMessage): Promise<void> {
    const { deps } = this;
    if (!deps.operators.has(message.sender)) {
      deps.log.debug(
        { sender: message.sender, roomId: message.roomId },
        "ignored a message from someone who is not an operator",
      );
      return;
    }
    const device = deps.deviceForRoom(message.roomId);
    if (device) {
      if (!deps.agentTurn) {
        deps.log.debug({ device: device.name }, "no agent to hand this message to yet");
        return;
      }
      await deps.agentTurn(device, message);
      return;
    }
    if ((await deps.botRooms()).includes(message.roomId)) await deps.dispatchCommand(message);
  }
}
