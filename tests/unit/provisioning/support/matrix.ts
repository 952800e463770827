import type { CheckResult } from "../../../../provisioning/engine";
import type { MatrixProvisioner } from "../../../../provisioning/ports";
import type { Hang } from "./hang";

type Membership = "join" | "invite" | "leave";

export interface FakeRoom {
  id: string;
  name: string;
  topic: string;
  members: Map<string, Membership>;
  messages: Array<{ sender: string; text: string }>;
}

type Method =
  | "ensureAgentUser"
  | "retireAgentUser"
  | "createDeviceRoom"
  | "repairDeviceRoom"
  | "removeDeviceRoom"
  | "postAsAgent"
  | "closeDeviceRoom";

/** An HTTP error from the homeserver, as matrix-bot-sdk's MatrixError carries it. */
class HomeserverError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * A homeserver as the appservice provisioner uses it (bot/device-rooms.ts): agent users
 * (registered, then retired — Matrix cannot delete them), rooms with members and messages,
 * aliases. Each method behaves as the real one does, including what it cannot do: a room whose
 * id it was not given is found by its alias. Failures can be injected before a
 * method acts, after it acted (the response was lost), or it can hang after acting.
 */
export class FakeMatrix implements MatrixProvisioner {
  readonly users = new Map<string, { displayName: string; retired: boolean }>();
  readonly rooms = new Map<string, FakeRoom>();
  readonly aliases = new Map<string, string>();
  /** Every call that may change something, in order. */
  readonly changes: string[] = [];
  private troubles: Array<{ method: Method; how: "fail" | "fail-after" | "hang-after"; hang?: Hang }> = [];
  private nextRoom = 1;

  constructor(readonly operators: readonly string[]) {}

  fail(method: Method, how: "fail" | "fail-after" = "fail"): void {
    this.troubles.push({ method, how });
  }

  hangAfter(method: Method, hang: Hang): void {
    this.troubles.push({ method, how: "hang-after", hang });
  }

  agentUserId(device: string): string {
    return `@agent-${device}:example.org`;
  }

  roomAlias(device: string): string {
    return `#device-${device}:example.org`;
  }

  ensureAgentUser(device: string, displayName: string): Promise<void> {
    return this.act("ensureAgentUser", () => {
      this.users.set(device, { displayName, retired: false });
    });
  }

  retireAgentUser(device: string): Promise<string> {
    return this.act("retireAgentUser", () => {
      const agent = this.agentUserId(device);
      for (const room of this.rooms.values())
        if (room.members.get(agent) === "join") room.members.set(agent, "leave");
      this.users.set(device, { displayName: `agent-${device} (removed)`, retired: true });
      return "agent user retired";
    });
  }

  createDeviceRoom(device: string, name: string, topic: string): Promise<string> {
    return this.act("createDeviceRoom", () => {
      this.aliases.delete(this.roomAlias(device));
      const id = `!room${this.nextRoom++}:example.org`;
      const members = new Map<string, Membership>([[this.agentUserId(device), "join"]]);
      for (const op of this.operators) members.set(op, "invite");
      this.rooms.set(id, { id, name, topic, members, messages: [] });
      this.aliases.set(this.roomAlias(device), id);
      return id;
    });
  }

  checkDeviceRoom(device: string, roomId: string): Promise<CheckResult> {
    const room = this.rooms.get(roomId);
    if (room?.members.get(this.agentUserId(device)) !== "join")
      return Promise.resolve({ ok: false, problem: `agent-${device} is not in its room` });
    const missing = this.operators.filter((op) => !["join", "invite"].includes(room.members.get(op) ?? ""));
    return Promise.resolve(
      missing.length > 0 ? { ok: false, problem: `${missing.join(", ")} not in the room` } : { ok: true },
    );
  }

  repairDeviceRoom(device: string, roomId: string): Promise<string> {
    return this.act("repairDeviceRoom", () => {
      const room = this.room(roomId);
      room.members.set(this.agentUserId(device), "join");
      const invited = this.operators.filter((op) => !["join", "invite"].includes(room.members.get(op) ?? ""));
      for (const op of invited) room.members.set(op, "invite");
      return invited.length > 0 ? `re-invited ${invited.join(", ")}` : "agent back in its room";
    });
  }

  removeDeviceRoom(device: string, roomId: string | undefined): Promise<string> {
    return this.act("removeDeviceRoom", () => {
      // As bot/device-rooms.ts: a room whose id was lost is found by its alias first.
      const id = roomId ?? this.aliases.get(this.roomAlias(device));
      this.aliases.delete(this.roomAlias(device));
      const room = id ? this.rooms.get(id) : undefined;
      if (room) for (const member of room.members.keys()) room.members.set(member, "leave");
      return "room removed";
    });
  }

  postAsAgent(device: string, roomId: string, text: string): Promise<void> {
    return this.act("postAsAgent", () => {
      const room = this.room(roomId);
      const agent = this.agentUserId(device);
      if (room.members.get(agent) !== "join") throw new HomeserverError(403, `${agent} is not in ${roomId}`);
      room.messages.push({ sender: agent, text });
    });
  }

  closeDeviceRoom(device: string, roomId: string, finalMessage: string, topic: string): Promise<void> {
    return this.act("closeDeviceRoom", () => {
      const room = this.rooms.get(roomId);
      const agent = this.agentUserId(device);
      // Out of the room already (a second revoke): nothing to say, as the real one does on a 403.
      if (room?.members.get(agent) === "join") {
        room.messages.push({ sender: agent, text: finalMessage });
        room.topic = topic;
        room.members.set(agent, "leave");
      }
      this.aliases.delete(this.roomAlias(device));
    });
  }

  /** The device's agent leaves its room (someone kicked it, or it left by hand). */
  kickAgent(device: string): void {
    const id = this.aliases.get(this.roomAlias(device));
    if (id) this.room(id).members.set(this.agentUserId(device), "leave");
  }

  /** What is live: active agent users, and rooms someone is still in or invited to. */
  snapshot(): Record<string, unknown> {
    const aliasOf = new Map([...this.aliases].map(([alias, id]) => [id, alias]));
    return {
      users: [...this.users].filter(([, u]) => !u.retired).map(([d, u]) => `${d} ${u.displayName}`),
      rooms: [...this.rooms.values()]
        .filter((r) => [...r.members.values()].some((m) => m !== "leave"))
        .map((r) => ({
          alias: aliasOf.get(r.id) ?? null,
          topic: r.topic,
          members: [...r.members].filter(([, m]) => m !== "leave").map(([u, m]) => `${u} ${m}`),
        })),
      aliases: [...this.aliases.keys()].sort(),
    };
  }

  private room(id: string): FakeRoom {
    const room = this.rooms.get(id);
    if (!room) throw new HomeserverError(404, `no room ${id}`);
    return room;
  }

  private async act<T>(method: Method, work: () => T): Promise<T> {
    const trouble = this.troubles.find((t) => t.method === method);
    this.troubles = this.troubles.filter((t) => t !== trouble);
    if (trouble?.how === "fail") throw new HomeserverError(500, `${method}: the homeserver is unavailable`);
    this.changes.push(method);
    const result = work();
    if (trouble?.how === "fail-after") throw new HomeserverError(504, `${method}: gateway timeout`);
    if (trouble?.how === "hang-after") await trouble.hang!.hit();
    return result;
  }
}
