import { existsSync, writeFileSync } from "node:fs";
import { agentSecretPath } from "../../../../state/agent-secret";
import { BundleWorld, disposeBundleWorlds } from "./support";

afterEach(disposeBundleWorlds);

/** Nothing of the bundle is left: no row, no IP, no peer, no archive, no secret, nothing pending. */
function expectNothingLeft(world: BundleWorld, name: string, out: string): void {
  expect(world.devices.get(name)).toBeUndefined();
  expect(world.hub.running.size).toBe(0);
  expect(world.hub.saved.size).toBe(0);
  expect(existsSync(out)).toBe(false);
  expect(existsSync(`${out}.partial`)).toBe(false);
  expect(existsSync(agentSecretPath(world.stateDir, name))).toBe(false);
  expect(world.enrollments.pendingBundles()).toEqual([]);
}

describe("meshpilot bundle: a failure anywhere undoes the rest", () => {
  test.each([1, 2, 3, 4, 5])("a failure after step %i is rolled back", async (step) => {
    const world = new BundleWorld();
    const { outcome, data } = await world.bundle("pcb1", { faults: [{ kind: "fail", step }] });
    expect(outcome.ok).toBe(false);
    expect(outcome.failed?.index).toBe(step);
    expect(outcome.undoFailures).toEqual([]);
    expectNothingLeft(world, "pcb1", data.out);
  });

  test("the hub refusing the peer, and an --out that exists, are undone and said", async () => {
    const world = new BundleWorld();
    world.hub.fail("addPeer");
    const first = await world.bundle("pcb1");
    expect(first.outcome.failed).toMatchObject({
      index: 3,
      reason: expect.stringContaining("adding the peer") as string,
    });
    expectNothingLeft(world, "pcb1", first.data.out);

    const data = world.data("pcb2");
    writeFileSync(data.out, "mine");
    const second = await world.bundle("pcb2");
    expect(second.outcome.failed).toMatchObject({
      index: 4,
      reason: expect.stringContaining("already exists") as string,
    });
    expect(existsSync(data.out)).toBe(true); // not ours: left alone
    expect(world.devices.get("pcb2")).toBeUndefined();
    expect(world.hub.running.size).toBe(0);
  });

  test("a name that is taken is refused before anything is made", async () => {
    const world = new BundleWorld();
    expect((await world.bundle("pcb1")).outcome.ok).toBe(true);
    const again = await world.bundle("pcb1");
    expect(again.outcome.failed).toMatchObject({
      index: 1,
      reason: expect.stringContaining("already") as string,
    });
    expect(world.hub.running.size).toBe(1);
  });

  test("a crash mid-run is rolled back by the bot's recovery", async () => {
    const world = new BundleWorld();
    const data = world.data("pcb1");
    const { addBundlePipeline, bundlePipelineFor } = await import("../../../../provisioning/bundle/pipeline");
    // The run as a crash leaves it: journaled running after step 4, the archive on disk.
    const engine = world.engine();
    const hang = addBundlePipeline(world.deps());
    const steps = hang.steps.slice(0, 4);
    const runId = "crashed";
    world.journal.begin({ id: runId, device: "pcb1", pipeline: hang.name, steps_total: 5, data: "{}" });
    const ctx = {
      runId,
      device: "pcb1",
      data,
      log: world.log,
      save: () => world.journal.saveData(runId, JSON.stringify(data)),
    };
    for (const [i, step] of steps.entries()) {
      world.journal.setStep(runId, i + 1, step.name, "doing");
      await step.do(ctx);
      ctx.save();
      world.journal.setStep(runId, i + 1, step.name, "done");
    }
    expect(existsSync(data.out)).toBe(true);
    const recovered = await engine.recover(bundlePipelineFor(world.deps(), world.deps()));
    expect(recovered).toMatchObject([{ action: "rolled_back", undoFailures: [] }]);
    expectNothingLeft(world, "pcb1", data.out);
  });
});
