import { MatrixError, type MatrixClient } from "matrix-bot-sdk";
import type { Logger } from "../common/log";
import type { Config } from "../config/schema";
import { mentionContent, noticeContent, plain } from "./reply";

export function alertsAlias(config: Readonly<Config>): string {
  return `#${config.rooms.alerts_alias}:${config.homeserver.server_name}`;
}

/** What ensureAlertsRoom needs of the bot's client (MatrixClient fits; tests hand a fake). */
export interface ControlRoomClient {
  resolveRoom(alias: string): Promise<string>;
  /** Full state events; throws M_FORBIDDEN for a room the bot is not in. */
  getRoomState(roomId: string): Promise<unknown[]>;
  createRoom(properties: Record<string, unknown>): Promise<string>;
  createRoomAlias(alias: string, roomId: string): Promise<unknown>;
  getRoomMembers(roomId: string): Promise<Array<{ membershipFor: string; membership: string }>>;
  inviteUser(userId: string, roomId: string): Promise<unknown>;
  setUserPowerLevel(userId: string, roomId: string, level: number): Promise<unknown>;
  sendMessage(roomId: string, content: Record<string, unknown>): Promise<string>;
}

/** The bot's own key/value state (bot/storage.ts SqliteKvStorage). */
export interface BotState {
  readValue(key: string): string | undefined;
  storeValue(key: string, value: string): void;
}

export interface ControlRoomDeps {
  client: ControlRoomClient;
  botUserId: string;
  state: BotState;
  config: Readonly<Config>;
  log: Logger;
}

const ROOM_KEY = "alerts_room_id";
const FOREIGN_KEY = "alerts_alias_foreign_room";

/**
 * Finds or creates the control room (#operator-alerts) and makes sure every operator is in
 * it or invited. The bot uses a room only if it created it: its id is kept in the bot's
 * state, and a room the alias points to is checked (m.room.create sent by the bot, the bot
 * at the top power level) before the bot joins or invites anyone. A room someone else made
 * under the alias is never joined: the bot makes its own and tells the operators there.
 * Unencrypted on purpose: the homeserver is the operator's own, and the bot has no
 * end-to-end encryption (see README, "Encryption").
 */
export async function ensureAlertsRoom(deps: ControlRoomDeps): Promise<string> {
  const { client, config, state, log } = deps;
  const alias = alertsAlias(config);
  const target = await resolveAlias(client, alias);
  const stored = state.readValue(ROOM_KEY);
  let roomId: string | undefined;
  if (stored && (await createdByBot(client, stored, deps.botUserId))) roomId = stored;
  else if (target && (await createdByBot(client, target, deps.botUserId))) roomId = target;
  if (!roomId) {
    roomId = await client.createRoom({
      preset: "private_chat",
      visibility: "private",
      ...(target ? {} : { room_alias_name: config.rooms.alerts_alias }),
      name: config.rooms.alerts_name,
      topic: "meshpilot control room: type !help",
      invite: [...config.operators],
    });
    // Set after creation, not as an override: room v12 forbids the creator in the users
    // map, while older versions would lose the creator's level if the map were replaced.
    for (const operator of config.operators) await client.setUserPowerLevel(operator, roomId, 100);
    log.info({ roomId, alias: target ? null : alias }, "created the control room");
  } else if (!target) {
    await client
      .createRoomAlias(alias, roomId)
      .catch((error: unknown) =>
        log.warn({ err: error, alias, roomId }, "could not point the alias at the control room"),
      );
  }
  state.storeValue(ROOM_KEY, roomId);
  await inviteOperators(client, roomId, config, log);
  const foreign =
    target !== undefined &&
    target !== roomId &&
    state.readValue(FOREIGN_KEY) !== target &&
    !(await createdByBot(client, target, deps.botUserId));
  if (foreign) {
    log.warn(
      { alias, foreignRoomId: target, roomId },
      "the control room alias points to a room the bot did not create",
    );
    await client.sendMessage(
      roomId,
      mentionContent(
        config.operators,
        plain(
          `${alias} points to a room meshpilot did not create (${target}), so meshpilot does not use it and this room is the control room instead.`,
        ),
      ),
    );
    state.storeValue(FOREIGN_KEY, target);
  }
  return roomId;
}

async function inviteOperators(
  client: ControlRoomClient,
  roomId: string,
  config: Readonly<Config>,
  log: Logger,
): Promise<void> {
  const members = await client.getRoomMembers(roomId);
  const membership = new Map(members.map((m) => [m.membershipFor, m.membership]));
  for (const operator of config.operators) {
    const state = membership.get(operator);
    if (state === "join" || state === "invite") continue;
    if (state === "ban") {
      log.warn({ operator, roomId }, "an operator is banned from the control room; not inviting");
      continue;
    }
    await client.inviteUser(operator, roomId);
    log.info({ operator, roomId }, "invited an operator to the control room");
  }
}

interface StateEvent {
  type?: unknown;
  state_key?: unknown;
  sender?: unknown;
  content?: Record<string, unknown>;
}

/**
 * The bot created the room (m.room.create sent by it; `content.creator`, on room versions
 * that have it, names it too) and holds the top power level. A room the bot cannot read
 * (not a member) is not its room.
 */
async function createdByBot(client: ControlRoomClient, roomId: string, botUserId: string): Promise<boolean> {
  let events: StateEvent[];
  try {
    events = (await client.getRoomState(roomId)) as StateEvent[];
  } catch (error) {
    if (isNotAllowed(error)) return false;
    throw error;
  }
  const find = (type: string): StateEvent | undefined =>
    events.find((e) => e.type === type && e.state_key === "");
  const create = find("m.room.create");
  if (!create || create.sender !== botUserId) return false;
  const creator = create.content?.creator;
  if (creator !== undefined && creator !== botUserId) return false;
  const version = typeof create.content?.room_version === "string" ? create.content.room_version : "1";
  // Room v12 on: creators outrank every power level and are not in the users map.
  if (/^\d+$/.test(version) && Number(version) >= 12) return true;
  const levels = find("m.room.power_levels")?.content;
  if (!levels) return true; // without a power levels event the creator holds 100, everyone else 0
  const users = (typeof levels.users === "object" && levels.users !== null ? levels.users : {}) as Record<
    string,
    unknown
  >;
  const level = (value: unknown): number => (typeof value === "number" ? value : 0);
  const bot = botUserId in users ? level(users[botUserId]) : level(levels.users_default);
  return [level(levels.users_default), ...Object.values(users).map(level)].every((other) => other <= bot);
}

function isNotAllowed(error: unknown): boolean {
  if (error instanceof MatrixError) return ["M_FORBIDDEN", "M_NOT_FOUND"].includes(error.errcode);
  const status = (error as { statusCode?: number }).statusCode;
  return status === 403 || status === 404;
}

async function resolveAlias(client: ControlRoomClient, alias: string): Promise<string | undefined> {
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
