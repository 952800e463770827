import { MatrixError, type Appservice, type Intent } from "matrix-bot-sdk";
import type { Logger } from "../common/log";
import type { Config } from "../config/schema";
import type { CheckResult } from "../provisioning/engine";
import type { MatrixProvisioner } from "../provisioning/ports";

/** Agent users and device rooms through the appservice: the Matrix half of provisioning. */
export class AppserviceProvisioner implements MatrixProvisioner {
  constructor(
    private readonly appservice: Appservice,
    private readonly config: Readonly<Config>,
    private readonly log: Logger,
  ) {}

  agentUserId(device: string): string {
    return `@${this.config.appservice.agent_localpart_prefix}${device}:${this.config.homeserver.server_name}`;
  }

  roomAlias(device: string): string {
    return `#device-${device}:${this.config.homeserver.server_name}`;
  }

  async ensureAgentUser(device: string, displayName: string): Promise<void> {
    const intent = this.intent(device);
    await intent.ensureRegistered();
    await intent.underlyingClient.setDisplayName(displayName);
  }

  async retireAgentUser(device: string): Promise<string> {
    const intent = this.intent(device);
    for (const roomId of await intent.underlyingClient.getJoinedRooms()) {
      await intent.underlyingClient
        .leaveRoom(roomId)
        .catch((error: unknown) => this.log.warn({ err: error, roomId }, "agent could not leave"));
    }
    await intent.underlyingClient.setDisplayName(`agent-${device} (removed)`);
    return "agent user retired";
  }

  async createDeviceRoom(device: string, name: string, topic: string): Promise<string> {
    const intent = this.intent(device);
    await this.dropStaleAlias(device);
    const roomId = await intent.underlyingClient.createRoom({
      preset: "trusted_private_chat",
      visibility: "private",
      is_direct: true,
      room_alias_name: `device-${device}`,
      name,
      topic,
      invite: [...this.config.operators],
    });
    this.log.info({ device, roomId }, "created the device room");
    return roomId;
  }

  async checkDeviceRoom(device: string, roomId: string): Promise<CheckResult> {
    const client = this.intent(device).underlyingClient;
    let members;
    try {
      members = await client.getRoomMembers(roomId);
    } catch {
      return { ok: false, problem: `agent-${device} is not in its room` };
    }
    const state = new Map(members.map((m) => [m.membershipFor, m.membership]));
    if (state.get(this.agentUserId(device)) !== "join")
      return { ok: false, problem: `agent-${device} is not in its room` };
    const missing = this.config.operators.filter((op) => !["join", "invite"].includes(state.get(op) ?? ""));
    if (missing.length > 0) return { ok: false, problem: `${missing.join(", ")} not in the room` };
    return { ok: true };
  }

  async repairDeviceRoom(device: string, roomId: string): Promise<string> {
    const intent = this.intent(device);
    await intent.underlyingClient.joinRoom(roomId);
    const members = await intent.underlyingClient.getRoomMembers(roomId);
    const state = new Map(members.map((m) => [m.membershipFor, m.membership]));
    const invited: string[] = [];
    for (const operator of this.config.operators) {
      if (["join", "invite", "ban"].includes(state.get(operator) ?? "")) continue;
      await intent.underlyingClient.inviteUser(operator, roomId);
      invited.push(operator);
    }
    return invited.length > 0 ? `re-invited ${invited.join(", ")}` : "agent back in its room";
  }

  async removeDeviceRoom(device: string, roomId: string | undefined): Promise<string> {
    const client = this.intent(device).underlyingClient;
    // A room whose id never reached the journal (the answer was lost, or a crash) is found by its alias first.
    roomId ??= await this.roomOfAlias(device);
    await this.dropStaleAlias(device);
    if (!roomId) return "room removed";
    try {
      const members = await client.getRoomMembers(roomId);
      for (const member of members) {
        if (member.membershipFor === this.agentUserId(device)) continue;
        if (member.membership !== "join" && member.membership !== "invite") continue;
        await client.kickUser(member.membershipFor, roomId, "this device was not added after all");
      }
      await client.leaveRoom(roomId);
    } catch (error) {
      if (!isForbiddenOrMissing(error)) throw error;
    }
    return "room removed";
  }

  async postAsAgent(device: string, roomId: string, text: string): Promise<void> {
    await this.intent(device).underlyingClient.sendMessage(roomId, { msgtype: "m.text", body: text });
  }

  async closeDeviceRoom(device: string, roomId: string, finalMessage: string, topic: string): Promise<void> {
    const client = this.intent(device).underlyingClient;
    try {
      await client.sendMessage(roomId, { msgtype: "m.text", body: finalMessage });
      await client.sendStateEvent(roomId, "m.room.topic", "", { topic });
    } catch (error) {
      // Already out of the room (a second revoke, or a room left by hand): nothing to close.
      if (!isForbiddenOrMissing(error)) throw error;
    }
    await this.dropStaleAlias(device);
    await client.leaveRoom(roomId).catch((error: unknown) => {
      if (!isForbiddenOrMissing(error)) throw error;
    });
  }

  private intent(device: string): Intent {
    return this.appservice.getIntentForUserId(this.agentUserId(device));
  }

  /** The room #device-<name> points at, if the alias exists. */
  private async roomOfAlias(device: string): Promise<string | undefined> {
    try {
      return await this.intent(device).underlyingClient.resolveRoom(this.roomAlias(device));
    } catch (error) {
      if (isForbiddenOrMissing(error)) return undefined;
      throw error;
    }
  }

  private async dropStaleAlias(device: string): Promise<void> {
    try {
      await this.intent(device).underlyingClient.deleteRoomAlias(this.roomAlias(device));
    } catch (error) {
      if (!isForbiddenOrMissing(error)) throw error;
    }
  }
}

function isForbiddenOrMissing(error: unknown): boolean {
  const status =
    error instanceof MatrixError ? error.statusCode : (error as { statusCode?: number }).statusCode;
  return status === 404 || status === 403;
}
