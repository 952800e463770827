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
