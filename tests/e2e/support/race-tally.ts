/** What one read in a race came back as; a read that shows the secret is counted apart. */
export type RaceOutcome = "ok" | "refused" | "refused-at-open" | "not-found" | "other" | "secret";

export class RaceTally {
  readonly counts: Record<RaceOutcome, number> = {
    ok: 0,
    refused: 0,
    "refused-at-open": 0,
    "not-found": 0,
    other: 0,
    secret: 0,
  };
  /** The first few replies that were neither ok nor refused nor not-found (for the report). */
  readonly samples: string[] = [];
  /** Every reply that carried the secret. */
  readonly leaks: string[] = [];

  constructor(private readonly secret: string) {}

  add(outcome: Exclude<RaceOutcome, "secret">, raw: string): void {
    if (raw.includes(this.secret)) {
      this.counts.secret++;
      this.leaks.push(raw.slice(0, 300));
      return;
    }
    this.counts[outcome]++;
    if (outcome === "other" && this.samples.length < 5) this.samples.push(raw.slice(0, 300));
  }

  get total(): number {
    return Object.values(this.counts).reduce((a, b) => a + b, 0);
  }

  line(label: string, flips: number): string {
    const c = this.counts;
    return `${label}: ${this.total} reads during ${flips} flips — ok ${c.ok}, refused ${c.refused}, refused at open ${c["refused-at-open"]}, not-found ${c["not-found"]}, other ${c.other}, SECRET ${c.secret}`;
  }
}

/** Runs `read` `total` times, `parallel` at a time. */
export async function hammer(
  total: number,
  parallel: number,
  read: (i: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < total) await read(next++);
  };
  await Promise.all(Array.from({ length: parallel }, worker));
}
