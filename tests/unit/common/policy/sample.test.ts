/** Everything the sampler draws from the read forms is accepted by checkArgv as read. */
import { checkArgv, defaultReadPrograms, type PolicyFlavor } from "../../../../common/policy";
import { sampleReadArgv } from "../../../../common/policy/sample";

const PATHS = { dir: "/srv/data", file: "/srv/data/notes.txt" };

describe("sampleReadArgv", () => {
  it.each<[PolicyFlavor, number]>([
    ["linux", 2000],
    ["darwin", 500],
    ["windows", 200],
  ])("%s: at least %i samples, all accepted as read", (flavor, atLeast) => {
    const samples = [...sampleReadArgv(flavor, 42, PATHS)];
    expect(samples.length).toBeGreaterThanOrEqual(atLeast);
    const refused = samples
      .map((argv) => ({
        argv,
        verdict: checkArgv(flavor, [...defaultReadPrograms(flavor), "systemctl"], argv),
      }))
      .filter(({ verdict }) => !verdict.ok || verdict.callClass !== "read");
    expect(refused.slice(0, 5)).toEqual([]);
  });

  it("is deterministic from the seed and varied across seeds", () => {
    const take = (seed: number): string[][] => [...sampleReadArgv("linux", seed, PATHS)].slice(0, 200);
    expect(take(7)).toEqual(take(7));
    expect(take(7)).not.toEqual(take(8));
  });

  it("covers every read program and uses clusters, -- and the given paths", () => {
    const samples = [...sampleReadArgv("linux", 1, PATHS)];
    const programs = new Set(samples.map((a) => a[0]));
    for (const p of defaultReadPrograms("linux")) expect(programs.has(p)).toBe(true);
    const words = samples.flat();
    expect(words).toContain("--");
    expect(words).toContain(PATHS.file);
    expect(words.some((w) => /^-[a-zA-Z]{2,}$/.test(w))).toBe(true);
  });
});
