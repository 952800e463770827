import type { CheckResult } from "./engine";

/**
 * What provisioning needs from Matrix, implemented by the bot (provisioning never
 * imports bot/). Every method is safe to repeat.
 */
export interface MatrixProvisioner {
  agentUserId(device: string): string;
  roomAlias(device: string): string;
  ensureAgentUser(device: string, displayName: string): Promise<void>;
  /** "Retires" the agent user: Matrix cannot delete an appservice user, so it leaves every room and loses its name. */
  retireAgentUser(device: string): Promise<string>;
  /** Creates #device-<name> as the agent, unencrypted, and invites the operators. */
  createDeviceRoom(device: string, name: string, topic: string): Promise<string>;
  /** Ensures the agent is in the room and every operator is joined or invited; returns what was repaired. */
  checkDeviceRoom(device: string, roomId: string): Promise<CheckResult>;
  repairDeviceRoom(device: string, roomId: string): Promise<string>;
  /** Undoes createDeviceRoom: removes the alias, withdraws invites, the agent leaves. */
  removeDeviceRoom(device: string, roomId: string | undefined): Promise<string>;
  postAsAgent(device: string, roomId: string, text: string): Promise<void>;
  /**
   * Closes #device-<name> for good (revoke): the agent's final message, the topic set to
   * `[closed] …`, the alias dropped, then the agent leaves. No tombstone.
   */
  closeDeviceRoom(device: string, roomId: string, finalMessage: string, topic: string): Promise<void>;
}
