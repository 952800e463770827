import type { Db } from "../state/db";

/** Tokens the API counted for one reply (ModelReply.usage). */
export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
}

/** One device's use of one model over some days. */
export interface UsageRow {
  device: string;
  model: string;
  inputTokens: number;
  outputTokens: number;
  replies: number;
  /** Replies that came without usage numbers: not counted in the tokens. */
  repliesWithoutUsage: number;
}

/** The UTC day of a time, as stored: "2026-12-02". Days roll over at 00:00 UTC. */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** The UTC day `n` days before `day`. */
export function daysBefore(day: string, n: number): string {
  return utcDay(Date.parse(`${day}T00:00:00Z`) - n * 86_400_000);
}

/**
 * Spending in SQLite: the API's token counts summed per UTC day, device and model
 * (agent_usage, one row each, so a busy fleet does not grow a row per reply), and the
 * tokens operators added to a day's budget with !budget (budget_additions, one row per
 * addition with who). The clock is injected so tests can cross midnight.
 */
export class UsageStore {
  constructor(
    private readonly db: Db,
    readonly now: () => number = Date.now,
  ) {}

  today(): string {
    return utcDay(this.now());
  }

  /** One reply's usage for a device; a reply without usage is counted as such, with no tokens. */
  record(device: string, model: string, usage: TokenUsage | undefined): void {
    this.db
      .prepare(
        `INSERT INTO agent_usage (day, device, model, input_tokens, output_tokens, replies, replies_without_usage)
         VALUES (?, ?, ?, ?, ?, 1, ?)
         ON CONFLICT (day, device, model) DO UPDATE SET
           input_tokens = input_tokens + excluded.input_tokens,
           output_tokens = output_tokens + excluded.output_tokens,
           replies = replies + 1,
           replies_without_usage = replies_without_usage + excluded.replies_without_usage`,
      )
      .run(this.today(), device, model, usage?.inputTokens ?? 0, usage?.outputTokens ?? 0, usage ? 0 : 1);
  }

  /** Input plus output tokens used today by one device, or by all (device undefined). */
  tokensToday(device?: string): number {
    const row = (
      device === undefined
        ? this.db
            .prepare("SELECT SUM(input_tokens + output_tokens) AS n FROM agent_usage WHERE day = ?")
            .get(this.today())
        : this.db
            .prepare(
              "SELECT SUM(input_tokens + output_tokens) AS n FROM agent_usage WHERE day = ? AND device = ?",
            )
            .get(this.today(), device)
    ) as { n: number | null };
    return row.n ?? 0;
  }

  /** Tokens operators added to today's budget of one device, or of the total (device undefined). */
  addedToday(device?: string): number {
    const row = (
      device === undefined
        ? this.db
            .prepare("SELECT SUM(tokens) AS n FROM budget_additions WHERE day = ? AND device IS NULL")
            .get(this.today())
        : this.db
            .prepare("SELECT SUM(tokens) AS n FROM budget_additions WHERE day = ? AND device = ?")
            .get(this.today(), device)
    ) as { n: number | null };
    return row.n ?? 0;
  }

  /** An operator's !budget: `tokens` more for today, for one device or the total (undefined). */
  addToday(device: string | undefined, tokens: number, by: string): void {
    this.db
      .prepare(
        "INSERT INTO budget_additions (day, device, tokens, added_by, added_at) VALUES (?, ?, ?, ?, ?)",
      )
      .run(this.today(), device ?? null, tokens, by, this.now());
  }

  /** Per device and model, summed over the days from `first` to today (UTC, inclusive). */
  since(first: string): UsageRow[] {
    return this.db
      .prepare(
        `SELECT device, model, SUM(input_tokens) AS inputTokens, SUM(output_tokens) AS outputTokens,
           SUM(replies) AS replies, SUM(replies_without_usage) AS repliesWithoutUsage
         FROM agent_usage WHERE day >= ? AND day <= ? GROUP BY device, model ORDER BY device, model`,
      )
      .all(first, this.today()) as UsageRow[];
  }
}
