import { existsSync } from "node:fs";
import { BundleWatcher } from "../../../../provisioning/bundle/watch";
import { agentSecretPath } from "../../../../state/agent-secret";
import { BundleWorld, disposeBundleWorlds } from "./support";

afterEach(disposeBundleWorlds);

function watcher(world: BundleWorld, now: () => number = Date.now) {
  const told: string[] = [];
  const watch = new BundleWatcher({
    ...world.deps(),
    engine: world.engine(),
    journal: world.journal,
    tell: (text) => told.push(text),
    log: world.log,
    intervalMs: 1000,
    now,
  });
  return { watch, told };
}

describe("the bot finishes or expires bundles", () => {
  test("nothing happens before the PC's first handshake; then the bot finishes it over the mesh and tells the operators", async () => {
    const world = new BundleWorld();
    const { data } = await world.bundle("pcb1");
    const { watch, told } = watcher(world);
    await watch.tick();
    expect(world.devices.get("pcb1")?.status).toBe("provisioning");
    expect(told).toEqual([]);

    world.shaken.add(data.publicKey!);
    await watch.tick();
    expect(world.devices.get("pcb1")).toMatchObject({
      status: "live",
      mesh_ip: "10.77.0.2",
      os: "linux",
      arch: "amd64",
    });
    expect(world.devices.get("pcb1")?.room_id).toBeTruthy();
    expect(world.enrollments.pendingBundles()).toEqual([]);
    expect(told).toHaveLength(1);
    expect(told[0]).toContain("agent-pcb1 live — installed from a bundle");
    expect(told[0]).toContain(data.out);
    // Its public key is what the health monitor and revoke read for it.
    expect(world.journal.latestKnown("pcb1")?.pipeline).toBe("add-bundle");
    await watch.tick();
    expect(told).toHaveLength(1);
  });

  test("an agent that does not answer is not finished: tried again on the next tick, no room left behind", async () => {
    const world = new BundleWorld();
    const { data } = await world.bundle("pcb1");
    world.shaken.add(data.publicKey!);
    world.healthy = false;
    const { watch, told } = watcher(world);
    await watch.tick();
    expect(world.devices.get("pcb1")?.status).toBe("provisioning");
    expect(world.enrollments.pendingBundles()).toHaveLength(1);
    expect(told).toEqual([]);
    world.healthy = true;
    await watch.tick();
    expect(world.devices.get("pcb1")?.status).toBe("live");
  }, 20_000);

  test("past its time with no handshake, a bundle is rolled back and the operators told", async () => {
    const world = new BundleWorld();
    const { data } = await world.bundle("pcb1");
    let now = Date.now();
    const { watch, told } = watcher(world, () => now);
    await watch.tick();
    expect(world.devices.get("pcb1")).toBeDefined();
    now = data.expiresAt + 1;
    await watch.tick();
    expect(world.devices.get("pcb1")).toBeUndefined();
    expect(world.hub.running.size).toBe(0);
    expect(world.hub.saved.size).toBe(0);
    expect(existsSync(agentSecretPath(world.stateDir, "pcb1"))).toBe(false);
    expect(world.enrollments.pendingBundles()).toEqual([]);
    expect(told).toEqual([expect.stringContaining("The bundle for pcb1 was not installed in time")]);
  });

  test("!enroll cancel of a bundle rolls it back; the name can be bundled again", async () => {
    const world = new BundleWorld();
    await world.bundle("pcb1");
    const { watch, told } = watcher(world);
    expect(await watch.cancel("pcb1", "@ana:example.org")).toBe(true);
    expect(world.devices.get("pcb1")).toBeUndefined();
    expect(told[0]).toContain("cancelled by @ana:example.org");
    expect(await watch.cancel("pcb1", "@ana:example.org")).toBe(false);
    expect((await world.bundle("pcb1", { out: "again.tar.gz" })).outcome.ok).toBe(true);
  });
});
