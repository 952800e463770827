import { MatrixError, type MatrixClient } from "matrix-bot-sdk";
import type { Logger } from "../common/log";
import type { Config } from "../config/schema";
import { noticeContent, plain } from "./reply";

export function alertsAlias(config: Readonly<Config>): string {
  return `#${config.rooms.alerts_alias}:${config.homeserver.server_name}`;
}

/**
 * Finds or creates the control room (#operator-alerts), joins it, and makes sure every
 * operator is in it or invited. Unencrypted on purpose: the homeserver is the operator's
 * own, and the bot has no end-to-end encryption (see README, "Encryption").
 */
export async function ensureAlertsRoom(
  client: MatrixClient,
  config: Readonly<Config>,
  log: Logger,
): Promise<string> {
  const alias = alertsAlias(config);
  const existing = await resolveAlias(client, alias);
  if (!existing) {
    const roomId = await client.createRoom({
      preset: "private_chat",
      visibility: "private",
      room_alias_name: config.rooms.alerts_alias,
      name: config.rooms.alerts_name,
      topic: "meshpilot control room: type !help",
      invite: [...config.operators],
    });
    // Set after creation, not as an override: room v12 forbids the creator in the users
    // map, while older versions would lose the creator's level if the map were replaced.
    for (const operator of config.operators) await client.setUserPowerLevel(operator, roomId, 100);
    log.info({ roomId, alias }, "created the control room");
    return roomId;
  }
  await client.joinRoom(existing);
  const members = await client.getRoomMembers(existing);
  const membership = new Map(members.map((m) => [m.membershipFor, m.membership]));
  for (const operator of config.operators) {
    const state = membership.get(operator);
    if (state === "join" || state === "invite") continue;
    if (state === "ban") {
      log.warn({ operator, roomId: existing }, "an operator is banned from the control room; not inviting");
      continue;
    }
    await client.inviteUser(operator, existing);
    log.info({ operator, roomId: existing }, "invited an operator to the control room");
  }
  return existing;
}

async function resolveAlias(client: MatrixClient, alias: string): Promise<string | undefined> {
  try {
    return await client.resolveRoom(alias);
  } catch (error) {
    if (error instanceof MatrixError && error.errcode === "M_NOT_FOUND") return undefined;
    if ((error as { statusCode?: number }).statusCode === 404) return undefined;
    throw error;
  }
}

export async function isEncrypted(client: MatrixClient, roomId: string): Promise<boolean> {
  try {
    const state: unknown = await client.getRoomStateEvent(roomId, "m.room.encryption", "");
    return typeof state === "object" && state !== null && "algorithm" in state;
  } catch {
    return false;
  }
}

/** Said once, in plain text, before leaving a room the bot cannot read. */
export function encryptedRoomNotice(alerts: string): ReturnType<typeof noticeContent> {
  return noticeContent(
    plain(
      `This room is end-to-end encrypted and meshpilot cannot read encrypted messages, so it is leaving. ` +
        `Talk to the bot in ${alerts}, and to a device's agent in its #device-<name> room.`,
    ),
  );
}
