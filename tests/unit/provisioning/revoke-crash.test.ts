import { existsSync } from "node:fs";
import { join } from "node:path";
import { Hang, HangingEngine } from "./support/hang";
import type { FakeMachine } from "./support/machine";
import { disposeWorlds, World } from "./support/world";

afterEach(disposeWorlds);

const STEPS = [
  "removing the hub peer",
  "stopping the agent",
  "removing the agent's files",
  "removing the tunnel",
  "freeing the mesh IP",
  "closing the device room",
  "marking it revoked",
];

type Crash = (world: World, pc: FakeMachine, hang: Hang) => World;

/**
 * pc1 live (and another device that must stay untouched), a revoke that never returns from
 * step k, and a new process's recover(): a revoke is a forward run, so it is finished.
 */
async function crashRevoke(
  k: number,
  crash: Crash,
  before: (w: World, pc: FakeMachine) => void = () => undefined,
) {
  const world = World.create();
  await world.live("other");
  await world.live("pc1");
  const pc = world.net.machines.get("pc1.lan")!;
  const key = pc.tunnel!.conf.publicKey;
  const roomId = world.devices.get("pc1")!.room_id!;
  const other = () => ({
    row: world.devices.get("other"),
    machine: world.net.machines.get("other.lan")!.snapshot(),
    peer: world.hub.saved.get("other"),
    pin: world.hostKeys.get("other.lan:22"),
  });
  const otherBefore = other();
  before(world, pc);
  const hang = new Hang();
  await hang.stuck(crash(world, pc, hang).revoke("pc1"));

  const run = world.journal.active("pc1")!;
  expect(run.pipeline).toBe("revoke-wg");
  expect(world.journal.steps(run.id).at(-1)).toMatchObject({ idx: k, name: STEPS[k - 1], state: "doing" });

  const next = world.restart();
  const [recovered, ...more] = await next.engine.recover(next.pipelineFor);
  expect(more).toEqual([]);
  expect(recovered).toMatchObject({ run: run.id, device: "pc1", pipeline: "revoke-wg", action: "finished" });
  expect(recovered!.steps.map((s) => s.step)).toEqual(STEPS);
  expect(next.journal.run(run.id)!.state).toBe("completed");
  expect(other()).toEqual(otherBefore);
  return { next, pc, key, roomId, steps: recovered!.steps };
}

/** Everything a completed revoke takes away is gone. */
async function expectRevoked(world: World, pc: FakeMachine, key: string, roomId: string) {
  expect(world.hub.running.has(key)).toBe(false);
  expect(world.hub.saved.has("pc1")).toBe(false);
  expect(pc.snapshot()).toEqual({ files: [], tunnel: null, agent: null, serviceEnabled: false });
  expect(world.devices.get("pc1")).toMatchObject({ status: "revoked", mesh_ip: null });
  expect(world.hostKeys.get("pc1.lan:22")).toBeUndefined();
  expect(existsSync(join(world.stateDir, "devices", "pc1"))).toBe(false);
  expect(world.matrix.rooms.get(roomId)!.topic).toBe("[closed] pc1 revoked 2031-04-05 06:07 UTC");
  expect(world.matrix.rooms.get(roomId)!.members.get("@agent-pc1:example.org")).toBe("leave");
  expect(world.matrix.users.get("pc1")!.retired).toBe(true);
  expect(pc.unknown).toEqual([]);
  await expect(world.revoke("pc1")).resolves.toMatchObject({ kind: "already_revoked" });
}

const inside: Array<{ k: number; what: string; arm: (w: World, pc: FakeMachine, hang: Hang) => void }> = [
  { k: 1, what: "wg set … remove at the hub", arm: (w, _pc, h) => w.hub.hangAfter("removePeer", h) },
  { k: 2, what: "systemctl disable --now and pkill", arm: (_w, pc, h) => pc.hangAfter(/pkill/, h) },
  { k: 3, what: "rm -rf of the agent's files", arm: (_w, pc, h) => pc.hangAfter(/^rm -rf /, h) },
  {
    k: 4,
    what: "wg-quick down and rm of the config",
    arm: (_w, pc, h) => pc.hangAfter(/wg-quick down .* rm -f/, h),
  },
  {
    k: 6,
    what: "the room's last message and topic",
    arm: (w, _pc, h) => w.matrix.hangAfter("closeDeviceRoom", h),
  },
  { k: 6, what: "retiring the agent user", arm: (w, _pc, h) => w.matrix.hangAfter("retireAgentUser", h) },
];

describe("a revoke killed inside step k's side effect is finished at the next start", () => {
  test.each(inside)("step $k: $what", async ({ k, arm }) => {
    const { next, pc, key, roomId, steps } = await crashRevoke(k, (world, machine, hang) => {
      arm(world, machine, hang);
      return world;
    });
    expect(steps.every((s) => s.ok)).toBe(true);
    await expectRevoked(next, pc, key, roomId);
  });
});

describe("a revoke killed after step k's do, before the engine journals it, is finished", () => {
  test.each([1, 2, 3, 4, 5, 6, 7])("step %i", async (k) => {
    const { next, pc, key, roomId } = await crashRevoke(k, (world, _pc, hang) =>
      world.restart({
        engine: (journal, log) => new HangingEngine(journal, log, { pipeline: "revoke-wg", step: k, hang }),
      }),
    );
    await expectRevoked(next, pc, key, roomId);
  });
});

describe("an interrupted revoke of an unreachable device", () => {
  test("is finished with its leftovers recorded, the pin kept; a later revoke cleans the device", async () => {
    const { next, pc, key, roomId, steps } = await crashRevoke(
      6,
      (world, _pc, hang) => (world.matrix.hangAfter("closeDeviceRoom", hang), world),
      (_w, machine) => (machine.reachable = false),
    );
    expect(steps.filter((s) => !s.ok).map((s) => s.step)).toEqual([
      "stopping the agent",
      "removing the agent's files",
      "removing the tunnel",
    ]);
    expect(next.hostKeys.get("pc1.lan:22")).toBe(pc.hostKey);
    expect(next.devices.get("pc1")!.status).toBe("revoked");
    pc.reachable = true;
    await expect(next.revoke("pc1")).resolves.toMatchObject({ kind: "revoked", left: [] });
    await expectRevoked(next, pc, key, roomId);
  });
});

describe("an SSH-only revoke killed after step k is finished", () => {
  test.each([1, 2, 3])("step %i", async (k) => {
    const world = World.create();
    await world.live("srv", {}, "ssh");
    const hang = new Hang();
    const bot = world.restart({
      engine: (journal, log) => new HangingEngine(journal, log, { pipeline: "revoke-ssh", step: k, hang }),
    });
    await hang.stuck(bot.revoke("srv"));
    const next = world.restart();
    const [recovered] = await next.engine.recover(next.pipelineFor);
    expect(recovered).toMatchObject({ pipeline: "revoke-ssh", action: "finished" });
    expect(recovered!.steps.every((s) => s.ok)).toBe(true);
    expect(next.devices.get("srv")!.status).toBe("revoked");
    expect(next.hostKeys.get("srv.lan:22")).toBeUndefined();
    expect(next.matrix.users.get("srv")!.retired).toBe(true);
    expect(world.outside.closedPools.length).toBeGreaterThanOrEqual(1);
  });
});
