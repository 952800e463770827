import { UserError } from "../../../common/errors";
import { Engine, type Pipeline, type Step } from "../../../provisioning/engine";
import { Journal } from "../../../provisioning/journal";
import { openDatabase } from "../../../state/db";
import { BOT_MIGRATIONS } from "../../../state/migrations";
import { memoryLogger } from "../support/fakes";
import { Hang } from "./support/hang";

interface Data {
  made: string[];
}

/**
 * A little world of things; step N makes thing N (recording it in its data first, as the
 * Step contract asks) and its undo removes it. `hang` makes one do or undo never return
 * once its effect is done: the journal is then exactly what a killed bot leaves behind.
 */
function pipeline(
  world: Set<string>,
  names: string[],
  options: {
    mode?: "forward";
    hangIn?: string;
    hangInUndo?: string;
    failIn?: string;
    hang?: Hang;
    calls?: string[];
  } = {},
): Pipeline<Data> {
  const steps: Step<Data>[] = names.map((name) => ({
    name,
    do: async (ctx) => {
      options.calls?.push(`do ${name}`);
      ctx.data.made.push(name);
      ctx.save();
      world.add(name);
      if (options.hangIn === name) await options.hang!.hit();
      if (options.failIn === name) throw new UserError(`${name} failed`);
      return `${name} made`;
    },
    undo: async (ctx) => {
      options.calls?.push(`undo ${name}`);
      world.delete(name);
      ctx.data.made = ctx.data.made.filter((m) => m !== name);
      if (options.hangInUndo === name) await options.hang!.hit();
      return `${name} removed`;
    },
  }));
  return {
    name: options.mode === "forward" ? "fwd" : "test",
    steps,
    ...(options.mode ? { mode: options.mode } : {}),
  };
}

/** One database, and a bot process over it (a new one after each "crash"). */
function processes() {
  const db = openDatabase(":memory:", BOT_MIGRATIONS);
  return () => {
    const journal = new Journal(db);
    return { journal, engine: new Engine(journal, memoryLogger().log) };
  };
}

const NAMES = ["a", "b", "c", "d"];

describe("recovery from a journal the engine wrote before it was killed", () => {
  test.each([1, 2, 3, 4])("an add killed inside step %i is rolled back, that step included", async (k) => {
    const start = processes();
    const first = start();
    const world = new Set<string>(["unrelated"]);
    const hang = new Hang();
    const run = first.engine.run(
      pipeline(world, NAMES, { hangIn: NAMES[k - 1], hang }),
      "pc1",
      { made: [] },
      () => undefined,
    );
    await hang.stuck(run);
    const [active] = first.journal.unfinished();
    expect(first.journal.steps(active!.id).map((s) => `${s.name} ${s.state}`)).toEqual(
      NAMES.slice(0, k).map((n, i) => `${n} ${i + 1 === k ? "doing" : "done"}`),
    );

    const second = start();
    const calls: string[] = [];
    const recovered = await second.engine.recover(() => pipeline(world, NAMES, { calls }));
    expect(recovered).toEqual([
      {
        run: active!.id,
        device: "pc1",
        pipeline: "test",
        action: "rolled_back",
        undone: NAMES.slice(0, k)
          .reverse()
          .map((n) => `${n} removed`),
        undoFailures: [],
        steps: [],
      },
    ]);
    expect(calls).toEqual(
      NAMES.slice(0, k)
        .reverse()
        .map((n) => `undo ${n}`),
    );
    expect([...world]).toEqual(["unrelated"]);
    expect(second.journal.run(active!.id)!.state).toBe("rolled_back");
    expect(second.journal.unfinished()).toEqual([]);
  });

  test("a rollback killed half-way goes on where it stopped: the interrupted undo again, then the rest", async () => {
    const start = processes();
    const first = start();
    const world = new Set<string>();
    const hang = new Hang();
    const run = first.engine.run(
      pipeline(world, NAMES, { failIn: "c", hangInUndo: "b", hang }),
      "pc1",
      { made: [] },
      () => undefined,
    );
    await hang.stuck(run);
    const [active] = first.journal.unfinished();
    expect(active!.state).toBe("rolling_back");
    expect(first.journal.steps(active!.id).map((s) => `${s.name} ${s.state}`)).toEqual([
      "a done",
      "b undoing",
      "c undone",
    ]);

    const second = start();
    const calls: string[] = [];
    await second.engine.recover(() => pipeline(world, NAMES, { calls }));
    expect(calls).toEqual(["undo b", "undo a"]);
    expect(world.size).toBe(0);
    expect(second.journal.run(active!.id)!.state).toBe("rolled_back");
  });

  test.each([1, 2, 3, 4])(
    "a forward run killed inside step %i is finished: that step again, then the rest",
    async (k) => {
      const start = processes();
      const first = start();
      const world = new Set<string>();
      const hang = new Hang();
      const run = first.engine.run(
        pipeline(world, NAMES, { mode: "forward", hangIn: NAMES[k - 1], hang }),
        "pc1",
        { made: [] },
        () => undefined,
      );
      await hang.stuck(run);

      const second = start();
      const calls: string[] = [];
      const [recovered] = await second.engine.recover(() =>
        pipeline(world, NAMES, { mode: "forward", calls }),
      );
      expect(recovered).toMatchObject({ pipeline: "fwd", action: "finished" });
      expect(recovered!.steps).toEqual(
        NAMES.map((n, i) => ({ index: i + 1, step: n, ok: true, detail: `${n} made` })),
      );
      expect(calls).toEqual(NAMES.slice(k - 1).map((n) => `do ${n}`));
      expect([...world].sort()).toEqual(NAMES);
      expect(second.journal.unfinished()).toEqual([]);
    },
  );
});
