import { openDatabase } from "../../../state/db";
import { BOT_MIGRATIONS } from "../../../state/migrations";
import { Journal } from "../../../provisioning/journal";
import { Engine, type Pipeline } from "../../../provisioning/engine";
import { recoverySentence } from "../../../bot/recovery";
import { memoryLogger } from "../support/fakes";

/** A run the engine itself leaves as a crash would: its second step never returns. */
function interrupted(name: string, mode: Pipeline<unknown>["mode"]) {
  const db = openDatabase(":memory:", BOT_MIGRATIONS);
  const journal = new Journal(db);
  const { log } = memoryLogger();
  const world: string[] = [];
  const pipeline = (hang: boolean): Pipeline<{ n: number }> => ({
    name,
    mode,
    steps: ["one", "two", "three"].map((step, i) => ({
      name: step,
      do: () => {
        if (hang && i === 1) return new Promise<string>(() => undefined);
        world.push(step);
        return Promise.resolve(`${step} done`);
      },
      undo: () => {
        world.splice(world.indexOf(step), 1);
        return Promise.resolve(`${step} undone`);
      },
    })),
  });
  void new Engine(journal, log).run(pipeline(true), "pc1", { n: 1 }, () => undefined);
  return { journal, log, world, pipeline };
}

describe("what operators read after a restart", () => {
  test("an interrupted revoke is finished from its journal and said so, step by step", async () => {
    const { journal, log, world, pipeline } = interrupted("revoke-wg", "forward");
    await new Promise((r) => setImmediate(r));
    expect(journal.active("pc1")?.pipeline).toBe("revoke-wg");
    const [run] = await new Engine(journal, log).recover(() => pipeline(false));
    expect(world).toEqual(["one", "two", "three"]);
    expect(recoverySentence(run!)).toBe(
      "meshpilot restarted in the middle of revoking pc1 and finished it (one done, two done, three done).",
    );
    expect(journal.active("pc1")).toBeUndefined();
  });

  test("an interrupted add is rolled back and said so", async () => {
    const { journal, log, world, pipeline } = interrupted("add-wg", "rollback");
    await new Promise((r) => setImmediate(r));
    const [run] = await new Engine(journal, log).recover(() => pipeline(false));
    expect(world).toEqual([]);
    expect(recoverySentence(run!)).toBe(
      "meshpilot restarted in the middle of adding pc1 and rolled it back (two undone, one undone).",
    );
  });

  test("a journal that cannot be read is not guessed at: the run is closed and the operators are told", async () => {
    const { journal, log } = interrupted("repair-wg", "forward");
    await new Promise((r) => setImmediate(r));
    const [run] = await new Engine(journal, log).recover(() => {
      throw new Error("the journal of a repair does not match its schema");
    });
    expect(run!.action).toBe("unrecoverable");
    expect(recoverySentence(run!)).toBe(
      "meshpilot restarted in the middle of repairing pc1, but could not finish it (the journal of a repair does not match its schema) — check pc1 with !health pc1 and run the command again",
    );
    expect(journal.active("pc1")).toBeUndefined();
    expect(journal.run(run!.run)?.state).toBe("rollback_failed");
  });
});
