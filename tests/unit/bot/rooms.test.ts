import pino from "pino";
import { MatrixError } from "matrix-bot-sdk";
import { ensureAlertsRoom, type ControlRoomClient } from "../../../bot/rooms";
import { parseConfig } from "../../../config/load";

const { config } = parseConfig(
  `
homeserver: {url: "http://hs:8008", server_name: "example.org"}
appservice: {url: "http://bot:9000", as_token_file: a, hs_token_file: h}
operators: ["@you:example.org"]
state_dir: /tmp/x
`,
  "/etc/x.yaml",
);
const BOT = "@meshpilot:example.org";
const ALIAS = "#operator-alerts:example.org";

/** A homeserver as the control room code sees it: rooms with state, aliases, memberships. */
class FakeHomeserver implements ControlRoomClient {
  readonly aliases = new Map<string, string>();
  readonly rooms = new Map<string, { state: unknown[]; members: Map<string, string> }>();
  readonly invites: Array<[string, string]> = [];
  readonly sent: Array<[string, Record<string, unknown>]> = [];
  private next = 1;

  addRoom(creator: string, members: string[], levels: Record<string, number> = { [creator]: 100 }): string {
    const id = `!r${this.next++}:example.org`;
    const state = [
      { type: "m.room.create", state_key: "", sender: creator, content: { room_version: "10", creator } },
      { type: "m.room.power_levels", state_key: "", sender: creator, content: { users: levels } },
    ];
    this.rooms.set(id, { state, members: new Map(members.map((m) => [m, "join"])) });
    return id;
  }

  resolveRoom(alias: string): Promise<string> {
    const id = this.aliases.get(alias);
    return id
      ? Promise.resolve(id)
      : Promise.reject(new MatrixError({ errcode: "M_NOT_FOUND", error: "" }, 404));
  }
  getRoomState(roomId: string): Promise<unknown[]> {
    const room = this.rooms.get(roomId);
    if (room?.members.get(BOT) !== "join")
      return Promise.reject(new MatrixError({ errcode: "M_FORBIDDEN", error: "" }, 403));
    return Promise.resolve(room.state);
  }
  createRoom(properties: Record<string, unknown>): Promise<string> {
    const id = this.addRoom(BOT, [BOT]);
    for (const user of properties.invite as string[]) this.rooms.get(id)!.members.set(user, "invite");
    if (typeof properties.room_alias_name === "string")
      this.aliases.set(`#${properties.room_alias_name}:example.org`, id);
    return Promise.resolve(id);
  }
  createRoomAlias(alias: string, roomId: string): Promise<unknown> {
    this.aliases.set(alias, roomId);
    return Promise.resolve({});
  }
  getRoomMembers(roomId: string): Promise<Array<{ membershipFor: string; membership: string }>> {
    const members = this.rooms.get(roomId)?.members ?? new Map<string, string>();
    return Promise.resolve(
      [...members].map(([membershipFor, membership]) => ({ membershipFor, membership })),
    );
  }
  inviteUser(userId: string, roomId: string): Promise<unknown> {
    this.invites.push([userId, roomId]);
    this.rooms.get(roomId)?.members.set(userId, "invite");
    return Promise.resolve({});
  }
  setUserPowerLevel(): Promise<unknown> {
    return Promise.resolve({});
  }
  sendMessage(roomId: string, content: Record<string, unknown>): Promise<string> {
    this.sent.push([roomId, content]);
    return Promise.resolve("$e");
  }
}

function run(hs: FakeHomeserver, state = new Map<string, string>()) {
  return ensureAlertsRoom({
    client: hs,
    botUserId: BOT,
    state: { readValue: (k) => state.get(k), storeValue: (k, v) => void state.set(k, v) },
    config,
    log: pino({ level: "silent" }),
  });
}

describe("the control room", () => {
  test("an alias pointing to a room someone else created: a new room of the bot's own, operators told there", async () => {
    const hs = new FakeHomeserver();
    const foreign = hs.addRoom("@mallory:example.org", ["@mallory:example.org"], {
      "@mallory:example.org": 100,
    });
    hs.aliases.set(ALIAS, foreign);
    const state = new Map<string, string>();
    const roomId = await run(hs, state);
    expect(roomId).not.toBe(foreign);
    expect(hs.rooms.get(roomId)!.members.get("@you:example.org")).toBe("invite");
    expect(hs.invites.filter(([, room]) => room === foreign)).toEqual([]);
    expect(hs.aliases.get(ALIAS)).toBe(foreign); // the bot did not take an alias that was taken
    expect(hs.sent).toHaveLength(1);
    expect(hs.sent[0]![0]).toBe(roomId);
    expect(hs.sent[0]![1].body).toMatch(
      /^you: #operator-alerts:example\.org points to a room meshpilot did not create \(!r1:example\.org\)/,
    );
    // The next start uses the stored room and says nothing again.
    expect(await run(hs, state)).toBe(roomId);
    expect(hs.sent).toHaveLength(1);
  });

  test("a room with the bot in it but created by someone else, or where someone outranks the bot, is not used", async () => {
    const hs = new FakeHomeserver();
    const byOther = hs.addRoom("@mallory:example.org", [BOT], { "@mallory:example.org": 100, [BOT]: 100 });
    hs.aliases.set(ALIAS, byOther);
    expect(await run(hs)).not.toBe(byOther);
    const outranked = hs.addRoom(BOT, [BOT], { [BOT]: 50, "@mallory:example.org": 100 });
    hs.aliases.set(ALIAS, outranked);
    expect(await run(hs)).not.toBe(outranked);
  });

  test("the bot's own room under the alias is adopted and remembered; a missing alias is created with it", async () => {
    const hs = new FakeHomeserver();
    const own = hs.addRoom(BOT, [BOT]);
    hs.aliases.set(ALIAS, own);
    const state = new Map<string, string>();
    expect(await run(hs, state)).toBe(own);
    expect(hs.invites).toEqual([["@you:example.org", own]]);
    hs.aliases.delete(ALIAS);
    expect(await run(hs, state)).toBe(own);
    expect(hs.aliases.get(ALIAS)).toBe(own);
    expect(hs.sent).toEqual([]);
  });

  test("no alias and no room yet: the room is created with the alias", async () => {
    const hs = new FakeHomeserver();
    const roomId = await run(hs);
    expect(hs.aliases.get(ALIAS)).toBe(roomId);
  });
});
