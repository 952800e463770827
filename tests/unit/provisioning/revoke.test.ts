import { existsSync } from "node:fs";
import { join } from "node:path";
import { UserError } from "../../../common/errors";
import { linuxTarget } from "../../../provisioning/targets/linux";
import type { RevokeResult } from "../../../provisioning/revoke";
import { saveAgentSecret } from "../../../state/agent-secret";
import { Hang } from "./support/hang";
import { disposeWorlds, World } from "./support/world";

afterEach(disposeWorlds);

const LAYOUT = linuxTarget.layout("/home/ana");
const UNREACHABLE =
  "cannot reach ana@pc1.lan (ECONNREFUSED) — check the address, the port and that sshd is running";

/** A bot with pc1 (10.77.0.3) and another device (10.77.0.2) live; what the other one is. */
async function twoLive() {
  const world = World.create();
  await world.live("other");
  await world.live("pc1");
  const pc = world.net.machines.get("pc1.lan")!;
  const other = () => ({
    row: world.devices.get("other"),
    machine: world.net.machines.get("other.lan")!.snapshot(),
    peer: world.hub.saved.get("other"),
    pin: world.hostKeys.get("other.lan:22"),
    room: world.matrix.rooms.get(world.devices.get("other")!.room_id!),
  });
  return { world, pc, key: pc.tunnel!.conf.publicKey, roomId: world.devices.get("pc1")!.room_id!, other };
}

function revoked(result: RevokeResult) {
  if (result.kind !== "revoked") throw new Error(`expected a revoke, got ${JSON.stringify(result)}`);
  return result;
}

describe("!revoke of a WireGuard device", () => {
  test("takes everything away: hub peer, agent, files, tunnel, IP, room, agent user, host key pin", async () => {
    const { world, pc, key, roomId, other } = await twoLive();
    const before = other();

    const result = revoked(await world.revoke("pc1"));

    expect(result).toMatchObject({
      done: [
        "hub peer removed",
        "agent stopped",
        "agent files removed",
        "tunnel removed",
        "10.77.0.3 freed",
        "room closed",
        "marked revoked, host key unpinned",
      ],
      left: [],
    });
    expect(world.hub.running.has(key)).toBe(false);
    expect(world.hub.saved.has("pc1")).toBe(false);
    expect(pc.snapshot()).toEqual({ files: [], tunnel: null, agent: null, serviceEnabled: false });
    expect(world.devices.get("pc1")).toMatchObject({ status: "revoked", mesh_ip: null });
    expect(world.hostKeys.get("pc1.lan:22")).toBeUndefined();
    expect(existsSync(join(world.stateDir, "devices", "pc1"))).toBe(false);
    const room = world.matrix.rooms.get(roomId)!;
    expect(room.topic).toBe("[closed] pc1 revoked 2031-04-05 06:07 UTC");
    expect(room.messages.at(-1)).toEqual({
      sender: "@agent-pc1:example.org",
      text: "pc1 was revoked by @op:example.org. This room is closed; agent-pc1 is leaving.",
    });
    expect(room.members.get("@agent-pc1:example.org")).toBe("leave");
    expect(world.matrix.aliases.has("#device-pc1:example.org")).toBe(false);
    expect(world.matrix.users.get("pc1")).toEqual({ displayName: "agent-pc1 (removed)", retired: true });
    expect(world.journal.run(result.runId)).toMatchObject({ pipeline: "revoke-wg", state: "completed" });
    expect(other()).toEqual(before);
    expect(pc.unknown).toEqual([]);
    expect(world.net.openSessions()).toEqual([]);

    await expect(world.revoke("pc1")).resolves.toMatchObject({ kind: "already_revoked" });
  });

  test("an unreachable device: the hub and bot side complete, `left` says exactly what stays on it, the pin stays", async () => {
    const { world, pc, key, roomId } = await twoLive();
    const onDevice = pc.snapshot();
    pc.reachable = false;
    const attempts = world.net.attempts;

    const result = revoked(await world.revoke("pc1"));

    expect(result.done).toEqual(["hub peer removed", "10.77.0.3 freed", "room closed", "marked revoked"]);
    expect(result.left).toEqual([
      `on ana@pc1.lan, the agent may still run (service meshpilot-agent as ana) — ${UNREACHABLE}`,
      `on ana@pc1.lan, the agent's files are still there (${LAYOUT.owned.join(", ")}) — ${UNREACHABLE}`,
      `on ana@pc1.lan, the tunnel config is still there (/etc/wireguard/mesh0.conf) — ${UNREACHABLE}`,
    ]);
    expect(world.hub.running.has(key)).toBe(false);
    expect(world.devices.get("pc1")).toMatchObject({ status: "revoked", mesh_ip: null });
    expect(world.matrix.rooms.get(roomId)!.topic).toMatch(/^\[closed\] pc1 revoked/);
    expect(world.hostKeys.get("pc1.lan:22")).toBe(pc.hostKey);
    expect(pc.snapshot()).toEqual(onDevice);
    // One connection attempt for the whole run: a failed one is remembered, not retried per step.
    expect(world.net.attempts).toBe(attempts + 1);
    expect(world.revoker.leftovers("pc1").map((s) => s.step)).toEqual([
      "stopping the agent",
      "removing the agent's files",
      "removing the tunnel",
    ]);
  });

  test("revoke again once it is reachable: only the leftover steps run, then the pin goes", async () => {
    const { world, pc } = await twoLive();
    pc.reachable = false;
    await world.revoke("pc1");
    pc.reachable = true;
    const mark = { hub: world.hub.changes.length, matrix: world.matrix.changes.length };

    const result = revoked(await world.revoke("pc1"));

    expect(result).toMatchObject({
      done: ["agent stopped", "agent files removed", "tunnel removed", "marked revoked, host key unpinned"],
      left: [],
    });
    expect(world.journal.steps(result.runId).map((s) => s.name)).toEqual([
      "stopping the agent",
      "removing the agent's files",
      "removing the tunnel",
      "marking it revoked",
    ]);
    expect(world.hub.changes.slice(mark.hub)).toEqual([]);
    expect(world.matrix.changes.slice(mark.matrix)).toEqual([]);
    expect(pc.snapshot()).toEqual({ files: [], tunnel: null, agent: null, serviceEnabled: false });
    expect(world.hostKeys.get("pc1.lan:22")).toBeUndefined();
    expect(world.revoker.leftovers("pc1")).toEqual([]);
    await expect(world.revoke("pc1")).resolves.toMatchObject({ kind: "already_revoked" });
  });

  test("a hub that fails the removal is a leftover too, retried alone later", async () => {
    const { world, pc, key } = await twoLive();
    world.hub.fail("removePeer");
    const first = revoked(await world.revoke("pc1"));
    expect(first.left).toEqual([
      `the hub still has pc1's peer (${key}) — removing the peer at the hub failed on the hub (exit 1: Operation not permitted)`,
    ]);
    expect(pc.snapshot().files).toEqual([]);
    expect(world.hostKeys.get("pc1.lan:22")).toBe(pc.hostKey);

    const second = revoked(await world.revoke("pc1"));
    expect(second).toMatchObject({
      done: ["hub peer removed", "marked revoked, host key unpinned"],
      left: [],
    });
    expect(world.hub.running.has(key)).toBe(false);
  });

  test("a device reinstalled since (new host key) is refused by the retry, and stays a leftover", async () => {
    const { world, pc } = await twoLive();
    pc.reachable = false;
    await world.revoke("pc1");
    pc.reachable = true;
    pc.changeHostKey();
    const onDevice = pc.snapshot();
    const result = revoked(await world.revoke("pc1"));
    expect(result.done).toEqual(["marked revoked"]);
    expect(result.left).toHaveLength(3);
    expect(result.left[0]).toMatch(/the host key of ana@pc1\.lan has changed/);
    expect(pc.snapshot()).toEqual(onDevice);
    expect(world.hostKeys.get("pc1.lan:22")).toBeDefined();
  });
});

describe("!forget", () => {
  test("drops a revoked device's row, its host key pin and the bot's secret, whatever was left on it", async () => {
    const { world, pc } = await twoLive();
    pc.reachable = false;
    await world.revoke("pc1");
    // The revoke's undo of step 6 already dropped the bot's copy; an older revoke (or a crash) may not have.
    expect(existsSync(join(world.stateDir, "devices", "pc1"))).toBe(false);
    saveAgentSecret(world.stateDir, "pc1", "a secret left behind");
    expect(world.revoker.forget("pc1")).toEqual([
      "device record removed",
      "host key of ana@pc1.lan unpinned",
      "agent secret removed",
    ]);
    expect(world.devices.get("pc1")).toBeUndefined();
    expect(world.hostKeys.get("pc1.lan:22")).toBeUndefined();
    expect(existsSync(join(world.stateDir, "devices", "pc1"))).toBe(false);
    expect(world.devices.get("other")!.status).toBe("live");
  });

  test("of a live device is refused with a sentence, and of an unknown one too", async () => {
    const { world } = await twoLive();
    expect(() => world.revoker.forget("pc1")).toThrow(
      new UserError("pc1 is live — revoke it first (!revoke pc1), then forget it"),
    );
    expect(() => world.revoker.forget("nope")).toThrow(
      new UserError("there is no device nope — !health lists them"),
    );
    expect(world.devices.get("pc1")!.status).toBe("live");
  });
});

describe("!revoke refusals and the SSH-only backend", () => {
  test("a device being added cannot be revoked until the add is over", async () => {
    const world = World.create();
    world.machine({ host: "pc1.lan" });
    const hang = new Hang();
    world.hub.hangAfter("addPeer", hang);
    await hang.stuck(world.add("pc1", "pc1.lan"));
    await expect(world.revoke("pc1")).rejects.toThrow(
      new UserError("pc1 is being added or revoked right now — wait for that to finish"),
    );
  });

  test("an SSH-only device: its pooled connection dropped, room closed, row revoked, pin gone", async () => {
    const world = World.create();
    await world.live("srv", {}, "ssh");
    const result = revoked(await world.revoke("srv"));
    expect(result).toMatchObject({
      done: ["SSH connection closed", "room closed", "marked revoked, host key unpinned"],
      left: [],
    });
    expect(world.outside.closedPools).toEqual([{ user: "ana", host: "srv.lan", port: 22 }]);
    expect(world.devices.get("srv")!.status).toBe("revoked");
    expect(world.hostKeys.get("srv.lan:22")).toBeUndefined();
    // The room stays as a closed record (the operator's membership with it); the agent and alias go.
    expect(world.matrix.snapshot()).toMatchObject({
      users: [],
      rooms: [
        {
          alias: null,
          topic: "[closed] srv revoked 2031-04-05 06:07 UTC",
          members: ["@you:example.org invite"],
        },
      ],
      aliases: [],
    });
  });
});
