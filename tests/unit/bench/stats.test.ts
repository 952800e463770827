import {
  megabytes,
  parseThrottle,
  percentile,
  stepDurations,
  stepTable,
  summary,
} from "../../../bench/stats";

/** The reporting half of the benches: what they print from what they measured. */

describe("bench statistics", () => {
  test("percentile by nearest rank; summary line", () => {
    expect(percentile([5, 1, 3, 2, 4], 50)).toBe(3);
    expect(percentile([5, 1, 3, 2, 4], 95)).toBe(5);
    expect(percentile([], 50)).toBeNaN();
    expect(summary("x", [1, 2, 3])).toBe("x: n=3 p50=2.0 ms p95=3.0 ms min=1.0 max=3.0");
  });

  test("step times from the journal's done times, in step order", () => {
    const steps = [
      { idx: 2, name: "connecting over SSH", doneAt: 1_300 },
      { idx: 1, name: "reserving the name", doneAt: 1_010 },
      { idx: 3, name: "installing the device agent", doneAt: 3_300 },
    ];
    expect(stepDurations(1_000, steps)).toEqual([
      { name: "reserving the name", ms: 10 },
      { name: "connecting over SSH", ms: 290 },
      { name: "installing the device agent", ms: 2_000 },
    ]);
  });

  test("the per-step table: p50 and p95 per step over the runs", () => {
    const run = (install: number) => [
      { name: "connect", ms: 100 },
      { name: "installing the device agent", ms: install },
    ];
    expect(stepTable([run(1000), run(3000), run(2000)]).split("\n")).toEqual([
      "step                           p50 ms    p95 ms",
      "connect                           100       100",
      "installing the device agent      2000      3000",
    ]);
  });

  test("--throttle RATEmbit,DELAYms, and what else it refuses", () => {
    expect(parseThrottle("20mbit,40ms")).toEqual({ rateMbit: 20, delayMs: 40 });
    expect(parseThrottle("40ms")).toEqual({ rateMbit: 0, delayMs: 40 });
    expect(parseThrottle(" 2.5MBIT ")).toEqual({ rateMbit: 2.5, delayMs: 0 });
    expect(() => parseThrottle("20mbps")).toThrow("write it as RATEmbit,DELAYms, e.g. 20mbit,40ms");
    expect(megabytes(55_145_802)).toBe("55.1 MB");
  });
});
