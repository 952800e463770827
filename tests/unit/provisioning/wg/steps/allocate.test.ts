import { readAgentSecret } from "../../../../../state/agent-secret";
import { disposeWorlds, World } from "../../support/world";

afterEach(disposeWorlds);

/** Each device's mesh IP, and whether its agent answers there through the hub. */
async function meshOf(world: World, names: string[]) {
  return Promise.all(
    names.map(async (name) => {
      const ip = world.devices.get(name)!.mesh_ip!;
      return [name, ip, await world.net.agentHealthy(ip, readAgentSecret(world.stateDir, name))] as const;
    }),
  );
}

describe("two devices never share a mesh IP", () => {
  test("devices added one after another get the lowest free addresses, each its own", async () => {
    const world = World.create();
    for (const name of ["pc1", "pc2", "pc3", "pc4"]) await world.live(name);
    expect(await meshOf(world, ["pc1", "pc2", "pc3", "pc4"])).toEqual([
      ["pc1", "10.77.0.2", true],
      ["pc2", "10.77.0.3", true],
      ["pc3", "10.77.0.4", true],
      ["pc4", "10.77.0.5", true],
    ]);
    expect(world.hub.moved).toEqual([]);
  });

  test("devices added at the same time get distinct addresses, and all of them work", async () => {
    const world = World.create();
    const names = ["pc1", "pc2", "pc3", "pc4", "pc5", "pc6"];
    await Promise.all(names.map((name) => world.live(name)));
    const mesh = await meshOf(world, names);
    expect(new Set(mesh.map(([, ip]) => ip)).size).toBe(names.length);
    expect(mesh.map(([, ip]) => ip).sort()).toEqual(
      ["2", "3", "4", "5", "6", "7"].map((n) => `10.77.0.${n}`),
    );
    expect(mesh.every(([, , ok]) => ok)).toBe(true);
    expect(world.hub.moved).toEqual([]);
    expect([...world.hub.running.values()].map((p) => p.ip).sort()).toEqual(mesh.map(([, ip]) => ip).sort());
  });

  test("a revoked device's address goes to the next device; the others keep theirs", async () => {
    const world = World.create();
    for (const name of ["pc1", "pc2", "pc3"]) await world.live(name);
    await world.revoke("pc2");
    expect(world.devices.get("pc2")!.mesh_ip).toBeNull();
    await world.live("pc4");
    expect(await meshOf(world, ["pc1", "pc3", "pc4"])).toEqual([
      ["pc1", "10.77.0.2", true],
      ["pc3", "10.77.0.4", true],
      ["pc4", "10.77.0.3", true],
    ]);
    expect(world.hub.moved).toEqual([]);
  });

  test("an address held by a revoke that could not reach its device is free for the next, without a clash at the hub", async () => {
    const world = World.create();
    await world.live("pc1");
    world.net.machines.get("pc1.lan")!.reachable = false;
    const revoked = await world.revoke("pc1");
    expect(revoked).toMatchObject({ kind: "revoked", left: expect.any(Array) as unknown[] });
    await world.live("pc2");
    expect(await meshOf(world, ["pc2"])).toEqual([["pc2", "10.77.0.2", true]]);
    expect(world.hub.moved).toEqual([]);
  });

  test("a rolled-back add frees its address", async () => {
    const world = World.create();
    world.machine({ host: "pc1.lan" });
    world.hub.fail("addPeer");
    expect((await world.add("pc1", "pc1.lan")).kind).toBe("failed");
    await world.live("pc2");
    expect(world.devices.get("pc2")!.mesh_ip).toBe("10.77.0.2");
  });
});
