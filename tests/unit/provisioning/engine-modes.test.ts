import { UserError } from "../../../common/errors";
import {
  Engine,
  parseFault,
  type Pipeline,
  type ProgressEvent,
  type Step,
} from "../../../provisioning/engine";
import { Journal, type RunState } from "../../../provisioning/journal";
import { openDatabase, type Db } from "../../../state/db";
import { BOT_MIGRATIONS } from "../../../state/migrations";
import { memoryLogger } from "../support/fakes";

interface Data {
  made: string[];
  notes?: string;
}

/** Steps over a list: each do appends its name (or fails), each undo removes it and counts the call. */
function steps(names: string[], fail: Set<string> = new Set(), undoCalls: string[] = []): Step<Data>[] {
  return names.map((name) => ({
    name,
    do: (ctx) => {
      if (fail.has(name)) return Promise.reject(new UserError(`${name} could not be done`));
      ctx.data.made.push(name);
      // Changed without save(): the engine must commit what do left in data itself.
      ctx.data.notes = `${ctx.data.notes ?? ""}${name};`;
      return Promise.resolve(name === "quiet" ? undefined : `${name} made`);
    },
    undo: (ctx) => {
      undoCalls.push(name);
      ctx.data.made = ctx.data.made.filter((m) => m !== name);
      ctx.data.notes = `${ctx.data.notes ?? ""}-${name};`;
      return Promise.resolve(name === "quiet" ? undefined : `${name} removed`);
    },
  }));
}

function setup(faults = "") {
  const db = openDatabase(":memory:", BOT_MIGRATIONS);
  const journal = new Journal(db);
  const { log } = memoryLogger();
  return { db, journal, log, engine: new Engine(journal, log, parseFault(faults)) };
}

/** A journal whose process is killed at one write: the state a crash leaves, written by the engine itself. */
class DyingJournal extends Journal {
  constructor(
    db: Db,
    private readonly at: { runState?: RunState; step?: number },
  ) {
    super(db);
  }

  override setRunState(...args: Parameters<Journal["setRunState"]>): void {
    if (args[1] === this.at.runState) throw new Error("killed");
    super.setRunState(...args);
  }

  override setStep(...args: Parameters<Journal["setStep"]>): void {
    if (args[1] === this.at.step) throw new Error("killed");
    super.setStep(...args);
  }
}

const events = (list: ProgressEvent[]): string[] =>
  list.map((e) => `${e.index}/${e.total} ${e.step} ${e.status}${e.detail ? ` (${e.detail})` : ""}`);

describe("forward runs (revoke, repair)", () => {
  test("every step is tried; a failure is reported and journaled, not undone; ok only when none failed", async () => {
    const { engine, journal } = setup();
    const seen: ProgressEvent[] = [];
    const pipeline: Pipeline<Data> = {
      name: "revoke-x",
      mode: "forward",
      steps: steps(["a", "b", "quiet"], new Set(["b"])),
    };
    const outcome = await engine.run(pipeline, "pc1", { made: [] }, (e) => seen.push(e));
    expect(outcome.ok).toBe(false);
    expect(outcome.steps).toEqual([
      { index: 1, step: "a", ok: true, detail: "a made" },
      { index: 2, step: "b", ok: false, reason: "b could not be done" },
      { index: 3, step: "quiet", ok: true },
    ]);
    expect(outcome.undone).toEqual([]);
    expect(outcome.undoFailures).toEqual([]);
    expect(events(seen)).toEqual([
      "1/3 a running",
      "1/3 a done (a made)",
      "2/3 b running",
      "2/3 b failed (b could not be done)",
      "3/3 quiet running",
      "3/3 quiet done",
    ]);
    expect(journal.steps(outcome.runId).map((s) => `${s.name}:${s.state}:${s.detail ?? ""}`)).toEqual([
      "a:done:a made",
      "b:failed:b could not be done",
      "quiet:done:",
    ]);
    expect(journal.run(outcome.runId)).toMatchObject({
      state: "completed",
      data: JSON.stringify({ made: ["a", "quiet"], notes: "a;quiet;" }),
    });
  });

  test("all steps done: ok, and the data each do left is in the journal without the step saving it", async () => {
    const { engine, journal } = setup();
    const outcome = await engine.run(
      { name: "repair-x", mode: "forward", steps: steps(["a", "b"]) },
      "pc1",
      { made: [] },
      () => undefined,
    );
    expect(outcome.ok).toBe(true);
    expect(JSON.parse(journal.run(outcome.runId)!.data)).toEqual({ made: ["a", "b"], notes: "a;b;" });
  });

  test("resumed after a crash: steps journaled done or failed are not run again, with their results kept", async () => {
    const { db, journal, log } = setup();
    const ran: string[] = [];
    const counting = (names: string[], fail: Set<string>): Step<Data>[] =>
      steps(names, fail).map((s) => ({ ...s, do: (ctx) => (ran.push(s.name), s.do(ctx)) }));
    // The first process: a and b (failing) journaled, then the bot dies inside c.
    const first = new Engine(journal, log);
    const hung: Pipeline<Data> = {
      name: "revoke-x",
      mode: "forward",
      steps: counting(["a", "b", "c", "d"], new Set(["b"])).map((s) =>
        s.name === "c" ? { ...s, do: () => (ran.push("c"), new Promise<string>(() => undefined)) } : s,
      ),
    };
    void first.run(hung, "pc1", { made: [] }, () => undefined);
    await new Promise((r) => setImmediate(r));
    expect(ran).toEqual(["a", "b", "c"]);
    ran.length = 0;
    const [recovered] = await new Engine(new Journal(db), log).recover(() => ({
      name: "revoke-x",
      mode: "forward",
      steps: counting(["a", "b", "c", "d"], new Set()),
    }));
    expect(ran).toEqual(["c", "d"]);
    expect(recovered).toMatchObject({ action: "finished", pipeline: "revoke-x", device: "pc1" });
    expect(recovered!.steps).toEqual([
      { index: 1, step: "a", ok: true, detail: "a made" },
      { index: 2, step: "b", ok: false, reason: "b could not be done" },
      { index: 3, step: "c", ok: true, detail: "c made" },
      { index: 4, step: "d", ok: true, detail: "d made" },
    ]);
    expect(journal.active("pc1")).toBeUndefined();
  });
});

describe("rollback runs (adds)", () => {
  test("progress while rolling back, and what an undo left in data is journaled", async () => {
    const { engine, journal } = setup();
    const seen: ProgressEvent[] = [];
    const outcome = await engine.run(
      { name: "add-x", steps: steps(["a", "quiet", "c"], new Set(["c"])) },
      "pc1",
      { made: [] },
      (e) => seen.push(e),
    );
    expect(outcome).toMatchObject({
      ok: false,
      failed: { index: 3, step: "c", reason: "c could not be done" },
      undone: ["c removed", "a removed"],
      steps: [],
    });
    expect(events(seen)).toEqual([
      "1/3 a running",
      "1/3 a done (a made)",
      "2/3 quiet running",
      "2/3 quiet done",
      "3/3 c running",
      "3/3 c failed (c could not be done)",
      "3/3 c undoing",
      "3/3 c undone (c removed)",
      "2/3 quiet undoing",
      "2/3 quiet undone",
      "1/3 a undoing",
      "1/3 a undone (a removed)",
    ]);
    expect(JSON.parse(journal.run(outcome.runId)!.data)).toEqual({
      made: [],
      notes: "a;quiet;-c;-quiet;-a;",
    });
  });

  test("an undo that failed is reported with the step, and the rest are still undone", async () => {
    const { engine, journal } = setup();
    const seen: ProgressEvent[] = [];
    const pipeline: Pipeline<Data> = {
      name: "add-x",
      steps: steps(["a", "b", "c"], new Set(["c"])).map((s) =>
        s.name === "b" ? { ...s, undo: () => Promise.reject(new Error("hub unreachable")) } : s,
      ),
    };
    const outcome = await engine.run(pipeline, "pc1", { made: [] }, (e) => seen.push(e));
    expect(outcome.undoFailures).toEqual(["b: hub unreachable"]);
    expect(outcome.undone).toEqual(["c removed", "a removed"]);
    expect(events(seen)).toContain("2/3 b undo_failed (hub unreachable)");
    expect(journal.run(outcome.runId)!.state).toBe("rollback_failed");
  });

  test("a rollback resumed after a crash does not undo a step twice", async () => {
    const { db, journal, log } = setup();
    const undoCalls: string[] = [];
    // The first process fails at c and dies inside b's undo (after c was undone).
    const first: Pipeline<Data> = {
      name: "add-x",
      steps: steps(["a", "b", "c"], new Set(["c"]), undoCalls).map((s) =>
        s.name === "b"
          ? { ...s, undo: () => (undoCalls.push("b"), new Promise<string>(() => undefined)) }
          : s,
      ),
    };
    void new Engine(journal, log).run(first, "pc1", { made: [] }, () => undefined);
    await new Promise((r) => setImmediate(r));
    expect(undoCalls).toEqual(["c", "b"]);
    undoCalls.length = 0;
    const [recovered] = await new Engine(new Journal(db), log).recover(() => ({
      name: "add-x",
      steps: steps(["a", "b", "c"], new Set(), undoCalls),
    }));
    expect(undoCalls).toEqual(["b", "a"]);
    expect(recovered).toMatchObject({ action: "rolled_back", undone: ["b removed", "a removed"] });
  });

  test("every step done but the run not marked completed (killed right then): recovery completes it, undoes nothing", async () => {
    const db: Db = openDatabase(":memory:", BOT_MIGRATIONS);
    const { log } = memoryLogger();
    const undoCalls: string[] = [];
    await expect(
      new Engine(new DyingJournal(db, { runState: "completed" }), log).run(
        { name: "add-x", steps: steps(["a", "b"], new Set(), undoCalls) },
        "pc1",
        { made: [] },
        () => undefined,
      ),
    ).rejects.toThrow("killed");
    const journal = new Journal(db);
    const [recovered] = await new Engine(journal, log).recover(() => ({
      name: "add-x",
      steps: steps(["a", "b"], new Set(), undoCalls),
    }));
    expect(recovered).toMatchObject({ action: "completed", undone: [], undoFailures: [] });
    expect(undoCalls).toEqual([]);
    expect(journal.latestKnown("pc1")?.state).toBe("completed");
  });

  test("a run that was rolling back (not running) is not taken for completed even with every step done", async () => {
    const db: Db = openDatabase(":memory:", BOT_MIGRATIONS);
    const { log } = memoryLogger();
    // Both steps done, then a fault after the last one starts a rollback that dies at its end.
    await expect(
      new Engine(new DyingJournal(db, { runState: "rolled_back" }), log, parseFault("fail:2")).run(
        { name: "add-x", steps: steps(["a", "b"]) },
        "pc1",
        { made: [] },
        () => undefined,
      ),
    ).rejects.toThrow("killed");
    const undoCalls: string[] = [];
    const [recovered] = await new Engine(new Journal(db), log).recover(() => ({
      name: "add-x",
      steps: steps(["a", "b"], new Set(), undoCalls),
    }));
    expect(recovered!.action).toBe("rolled_back");
  });
});

describe("recovery edges", () => {
  test("killed between one step's done and the next one's start: rolled back, not taken for completed", async () => {
    const db: Db = openDatabase(":memory:", BOT_MIGRATIONS);
    const { log } = memoryLogger();
    await expect(
      new Engine(new DyingJournal(db, { step: 2 }), log).run(
        { name: "add-x", steps: steps(["a", "b"]) },
        "pc1",
        { made: [] },
        () => undefined,
      ),
    ).rejects.toThrow("killed");
    const undoCalls: string[] = [];
    const [recovered] = await new Engine(new Journal(db), log).recover(() => ({
      name: "add-x",
      steps: steps(["a", "b"], new Set(), undoCalls),
    }));
    expect(recovered).toMatchObject({ action: "rolled_back", undone: ["a removed"] });
    expect(undoCalls).toEqual(["a"]);
  });

  test("a resumed rollback retries an undo that failed, skips one that was done, and goes on below", async () => {
    const { db, journal, log } = setup();
    const undoCalls: string[] = [];
    // c fails; c's undo fails; b's undo works; the bot dies inside a's undo.
    const first: Pipeline<Data> = {
      name: "add-x",
      steps: steps(["a", "b", "c", "d"], new Set(["d"]), undoCalls).map((s) =>
        s.name === "c"
          ? { ...s, undo: () => (undoCalls.push("c"), Promise.reject(new Error("hub unreachable"))) }
          : s.name === "a"
            ? { ...s, undo: () => (undoCalls.push("a"), new Promise<string>(() => undefined)) }
            : s,
      ),
    };
    void new Engine(journal, log).run(first, "pc1", { made: [] }, () => undefined);
    await new Promise((r) => setImmediate(r));
    expect(undoCalls).toEqual(["d", "c", "b", "a"]);
    undoCalls.length = 0;
    const [recovered] = await new Engine(new Journal(db), log).recover(() => ({
      name: "add-x",
      steps: steps(["a", "b", "c", "d"], new Set(), undoCalls),
    }));
    expect(undoCalls).toEqual(["c", "a"]);
    expect(recovered).toMatchObject({
      action: "rolled_back",
      undone: ["c removed", "a removed"],
      undoFailures: [],
    });
  });
});

describe("test faults", () => {
  test("parseFault reads kind, optional pipeline and step; anything else is ignored", () => {
    expect(parseFault("fail:7, crash-undo:5,crash:revoke-wg:3,crash:12")).toEqual([
      { kind: "fail", step: 7 },
      { kind: "crash-undo", step: 5 },
      { kind: "crash", step: 3, pipeline: "revoke-wg" },
      { kind: "crash", step: 12 },
    ]);
    for (const junk of ["xfail:3", "fail:3x", "fail:", "fail:x", "boom:1", "fail:Revoke:1"])
      expect(parseFault(junk)).toEqual([]);
    expect(parseFault(undefined)).toEqual([]);
  });

  test("a fault names the step, and with a pipeline only that pipeline's runs", async () => {
    const { journal, log } = setup();
    const engine = new Engine(journal, log, parseFault("fail:add-y:2"));
    const other = await engine.run(
      { name: "add-x", steps: steps(["a", "b"]) },
      "pc1",
      { made: [] },
      () => undefined,
    );
    expect(other.ok).toBe(true);
    const named = await engine.run(
      { name: "add-y", steps: steps(["a", "b"]) },
      "pc2",
      { made: [] },
      () => undefined,
    );
    expect(named.failed?.index).toBe(2);
    expect(named.failed?.step).toBe("b");
    expect(named.failed?.reason).toMatch(/internal error|test fault/);
    const atOne = await new Engine(journal, log, parseFault("fail:1")).run(
      { name: "add-z", steps: steps(["a", "b"]) },
      "pc3",
      { made: [] },
      () => undefined,
    );
    expect(atOne.failed?.index).toBe(1);
  });

  test("a fault in a forward run fails that step only", async () => {
    const { journal, log } = setup();
    const outcome = await new Engine(journal, log, parseFault("fail:1")).run(
      { name: "revoke-x", mode: "forward", steps: steps(["a", "b"]) },
      "pc1",
      { made: [] },
      () => undefined,
    );
    expect(outcome.steps.map((s) => `${s.step}:${s.ok}`)).toEqual(["a:false", "b:true"]);
  });
});
