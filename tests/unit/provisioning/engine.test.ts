import { openDatabase } from "../../../state/db";
import { BOT_MIGRATIONS } from "../../../state/migrations";
import { ActiveRunError, Journal } from "../../../provisioning/journal";
import {
  Engine,
  parseFault,
  type Pipeline,
  type ProgressEvent,
  type Step,
} from "../../../provisioning/engine";
import { UserError } from "../../../common/errors";
import { memoryLogger } from "../support/fakes";

interface Data {
  made: string[];
}

/** A pipeline over a little "world": each step adds a thing that its undo removes. */
function pipeline(
  world: Set<string>,
  names: string[],
  failing?: { step: string; error: Error },
): Pipeline<Data> {
  const steps: Step<Data>[] = names.map((name) => ({
    name,
    do: (ctx) => {
      world.add(name);
      ctx.data.made.push(name);
      if (failing?.step === name) return Promise.reject(failing.error);
      return Promise.resolve(`${name} made`);
    },
    undo: (ctx) => {
      world.delete(name);
      ctx.data.made = ctx.data.made.filter((m) => m !== name);
      return Promise.resolve(`${name} removed`);
    },
  }));
  return { name: "test", steps };
}

function setup() {
  const db = openDatabase(":memory:", BOT_MIGRATIONS);
  const journal = new Journal(db);
  const { log } = memoryLogger();
  return { db, journal, log, engine: new Engine(journal, log) };
}

describe("the step engine", () => {
  test("runs every step in order, reports progress, and journals the run as completed", async () => {
    const { journal, engine } = setup();
    const world = new Set<string>();
    const events: ProgressEvent[] = [];
    const outcome = await engine.run(pipeline(world, ["a", "b", "c"]), "pc1", { made: [] }, (e) =>
      events.push(e),
    );
    expect(outcome.ok).toBe(true);
    expect([...world]).toEqual(["a", "b", "c"]);
    expect(events.map((e) => `${e.index}/${e.total} ${e.step} ${e.status}`)).toEqual([
      "1/3 a running",
      "1/3 a done",
      "2/3 b running",
      "2/3 b done",
      "3/3 c running",
      "3/3 c done",
    ]);
    expect(journal.run(outcome.runId)).toMatchObject({
      state: "completed",
      data: JSON.stringify({ made: ["a", "b", "c"] }),
    });
  });

  test("a failure at step N undoes N…1 in reverse; the world is as before", async () => {
    const { journal, engine } = setup();
    const world = new Set<string>(["unrelated"]);
    const outcome = await engine.run(
      pipeline(world, ["a", "b", "c", "d"], { step: "c", error: new UserError("c went wrong: do this") }),
      "pc1",
      { made: [] },
      () => undefined,
    );
    expect(outcome).toMatchObject({
      ok: false,
      failed: { index: 3, step: "c", reason: "c went wrong: do this" },
      undone: ["c removed", "b removed", "a removed"],
      undoFailures: [],
    });
    expect([...world]).toEqual(["unrelated"]);
    expect(journal.run(outcome.runId)!.state).toBe("rolled_back");
    expect(journal.steps(outcome.runId).map((s) => `${s.idx}:${s.state}`)).toEqual([
      "1:undone",
      "2:undone",
      "3:undone",
    ]);
  });

  test("an internal error is shown as a reference, never its text", async () => {
    const { engine } = setup();
    const outcome = await engine.run(
      pipeline(new Set(), ["a"], { step: "a", error: new Error("EACCES /root/secret") }),
      "pc1",
      { made: [] },
      () => undefined,
    );
    expect(outcome.failed!.reason).toMatch(/^internal error, reference [0-9a-f]{4}/);
  });

  test("an undo that fails is reported and the run is marked rollback_failed", async () => {
    const { journal, engine } = setup();
    const world = new Set<string>();
    const p = pipeline(world, ["a", "b"], { step: "b", error: new UserError("no") });
    const stubborn: Step<Data> = { ...p.steps[0]!, undo: () => Promise.reject(new Error("host gone")) };
    const outcome = await engine.run(
      { name: "test", steps: [stubborn, p.steps[1]!] },
      "pc1",
      { made: [] },
      () => undefined,
    );
    expect(outcome.undoFailures).toEqual(["a: host gone"]);
    expect(journal.run(outcome.runId)!.state).toBe("rollback_failed");
  });

  test("one run per device at a time", async () => {
    const { journal, engine } = setup();
    journal.begin({ id: "other", device: "pc1", pipeline: "test", steps_total: 1, data: "{}" });
    await expect(
      engine.run(pipeline(new Set(), ["a"]), "pc1", { made: [] }, () => undefined),
    ).rejects.toBeInstanceOf(ActiveRunError);
    await expect(
      engine.run(pipeline(new Set(), ["a"]), "pc2", { made: [] }, () => undefined),
    ).resolves.toMatchObject({ ok: true });
  });

  test("the fail fault hook fails right after a step's side effects, and that step is undone too", async () => {
    const { journal, log } = setup();
    const world = new Set<string>();
    const engine = new Engine(journal, log, parseFault("fail:2"));
    const outcome = await engine.run(pipeline(world, ["a", "b", "c"]), "pc1", { made: [] }, () => undefined);
    expect(outcome.failed).toMatchObject({ index: 2, step: "b" });
    expect(outcome.undone).toEqual(["b removed", "a removed"]);
    expect(world.size).toBe(0);
  });

  test("a step is journaled doing before its side effect runs, and undoing before its undo", async () => {
    const { journal, engine } = setup();
    const seen: string[] = [];
    const own = (runId: string, idx: number) =>
      journal.steps(runId).find((s) => s.idx === idx)?.state ?? "absent";
    const watched = (name: string, idx: number, fail = false): Step<Data> => ({
      name,
      do: (ctx) => {
        seen.push(`do ${name}: ${own(ctx.runId, idx)}`);
        return fail ? Promise.reject(new UserError("no")) : Promise.resolve();
      },
      undo: (ctx) => {
        seen.push(`undo ${name}: ${own(ctx.runId, idx)}`);
        return Promise.resolve();
      },
    });
    await engine.run(
      { name: "test", steps: [watched("a", 1), watched("b", 2, true)] },
      "pc1",
      { made: [] },
      () => undefined,
    );
    await engine.run(
      { name: "fwd", mode: "forward", steps: [watched("c", 1), watched("d", 2)] },
      "pc2",
      { made: [] },
      () => undefined,
    );
    expect(seen).toEqual([
      "do a: doing",
      "do b: doing",
      "undo b: undoing",
      "undo a: undoing",
      "do c: doing",
      "do d: doing",
    ]);
  });

  test("parseFault reads only the documented forms", () => {
    expect(parseFault("crash:3")).toEqual([{ kind: "crash", step: 3 }]);
    expect(parseFault("fail:7, crash-undo:5")).toEqual([
      { kind: "fail", step: 7 },
      { kind: "crash-undo", step: 5 },
    ]);
    expect(parseFault("explode:1")).toEqual([]);
    expect(parseFault(undefined)).toEqual([]);
  });
});

describe("recovery after a crash", () => {
  test("an interrupted run is rolled back from its journal, including the step that was in flight", async () => {
    const { journal, engine } = setup();
    const world = new Set<string>(["a", "b", "c"]);
    // As a crash during step 3 would have left it: 1 and 2 done, 3 doing.
    journal.begin({
      id: "r1",
      device: "pc1",
      pipeline: "test",
      steps_total: 4,
      data: JSON.stringify({ made: ["a", "b", "c"] }),
    });
    journal.setStep("r1", 1, "a", "done");
    journal.setStep("r1", 2, "b", "done");
    journal.setStep("r1", 3, "c", "doing");
    const recovered = await engine.recover(() => pipeline(world, ["a", "b", "c", "d"]));
    expect(recovered).toEqual([
      {
        run: "r1",
        device: "pc1",
        pipeline: "test",
        action: "rolled_back",
        undone: ["c removed", "b removed", "a removed"],
        undoFailures: [],
        steps: [],
      },
    ]);
    expect(world.size).toBe(0);
    expect(journal.run("r1")!.state).toBe("rolled_back");
    expect(journal.unfinished()).toEqual([]);
  });

  test("a rollback that was itself interrupted continues where it stopped", async () => {
    const { journal, engine } = setup();
    const world = new Set<string>(["a"]);
    journal.begin({
      id: "r2",
      device: "pc1",
      pipeline: "test",
      steps_total: 3,
      data: JSON.stringify({ made: ["a"] }),
    });
    journal.setStep("r2", 1, "a", "done");
    journal.setStep("r2", 2, "b", "undone");
    journal.setStep("r2", 3, "c", "undone");
    journal.setRunState("r2", "rolling_back");
    const undoneNames: string[] = [];
    const p = pipeline(world, ["a", "b", "c"]);
    const spy: Pipeline<Data> = {
      name: "test",
      steps: p.steps.map((s) => ({ ...s, undo: (ctx) => (undoneNames.push(s.name), s.undo(ctx)) })),
    };
    await engine.recover(() => spy);
    expect(undoneNames).toEqual(["a"]);
    expect(journal.run("r2")!.state).toBe("rolled_back");
  });

  test("a run whose every step was done is completed, not rolled back", async () => {
    const { journal, engine } = setup();
    const world = new Set<string>(["a", "b"]);
    journal.begin({ id: "r3", device: "pc1", pipeline: "test", steps_total: 2, data: "{}" });
    journal.setStep("r3", 1, "a", "done");
    journal.setStep("r3", 2, "b", "done");
    const recovered = await engine.recover(() => pipeline(world, ["a", "b"]));
    expect(recovered[0]!.action).toBe("completed");
    expect(world.size).toBe(2);
    expect(journal.run("r3")!.state).toBe("completed");
  });
});
