/** Percentile by nearest rank over a copy of the samples. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export function summary(label: string, samples: readonly number[], unit = "ms"): string {
  const f = (n: number): string => n.toFixed(1);
  return `${label}: n=${samples.length} p50=${f(percentile(samples, 50))} ${unit} p95=${f(percentile(samples, 95))} ${unit} min=${f(Math.min(...samples))} max=${f(Math.max(...samples))}`;
}

/** One step of a journaled run: when the journal last wrote it (its "done" time, ms). */
export interface StepMark {
  idx: number;
  name: string;
  doneAt: number;
}

/**
 * Each step's time from the journal: steps run one after another, so a step took from the
 * previous step's done time (the first: the run's start) to its own.
 */
export function stepDurations(
  startedAt: number,
  steps: readonly StepMark[],
): Array<{ name: string; ms: number }> {
  let previous = startedAt;
  return [...steps]
    .sort((a, b) => a.idx - b.idx)
    .map((s) => {
      const ms = s.doneAt - previous;
      previous = s.doneAt;
      return { name: s.name, ms };
    });
}

/** p50 and p95 of each step over the runs, in step order; a step missing from a run is left out of its samples. */
export function stepTable(runs: ReadonlyArray<ReadonlyArray<{ name: string; ms: number }>>): string {
  const names: string[] = [];
  for (const run of runs) for (const s of run) if (!names.includes(s.name)) names.push(s.name);
  const width = Math.max(4, ...names.map((n) => n.length));
  const lines = [`${"step".padEnd(width)}  ${"p50 ms".padStart(8)}  ${"p95 ms".padStart(8)}`];
  for (const name of names) {
    const samples = runs.flatMap((run) => run.filter((s) => s.name === name).map((s) => s.ms));
    const f = (p: number): string => percentile(samples, p).toFixed(0).padStart(8);
    lines.push(`${name.padEnd(width)}  ${f(50)}  ${f(95)}`);
  }
  return lines.join("\n");
}

/** A link shaped by lab/relay.py: "20mbit,40ms" (either part may be left out, in any order). */
export interface Throttle {
  rateMbit: number;
  delayMs: number;
}

export function parseThrottle(text: string): Throttle {
  const throttle: Throttle = { rateMbit: 0, delayMs: 0 };
  for (const part of text.split(",").map((p) => p.trim().toLowerCase())) {
    const m = /^(\d+(?:\.\d+)?)(mbit|ms)$/.exec(part);
    if (!m)
      throw new Error(`--throttle ${JSON.stringify(text)}: write it as RATEmbit,DELAYms, e.g. 20mbit,40ms`);
    if (m[2] === "mbit") throttle.rateMbit = Number(m[1]);
    else throttle.delayMs = Number(m[1]);
  }
  return throttle;
}

export function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}
