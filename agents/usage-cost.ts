import type { UsageRow } from "./usage-store";

/** llm.prices: USD per million input and output tokens of each model. */
export interface ModelPrice {
  input_per_mtok: number;
  output_per_mtok: number;
}

export type Prices = Readonly<Record<string, ModelPrice>>;

/** What some usage cost: tokens always, dollars only when every model in it has a price. */
export interface Spend {
  tokens: number;
  /** Undefined when some of the tokens are a model's with no price in llm.prices. */
  usd: number | undefined;
  /** Models used that have no price (so their cost is unknown). */
  unpriced: string[];
  repliesWithoutUsage: number;
}

/** The configured price of a model, by its exact name (no built-in guesses). */
export function priceOf(prices: Prices, model: string): ModelPrice | undefined {
  return Object.prototype.hasOwnProperty.call(prices, model) ? prices[model] : undefined;
}

/** Rows added up, and priced when every model they use has a price. */
export function spendOf(rows: readonly UsageRow[], prices: Prices): Spend {
  let tokens = 0;
  let usd: number | undefined = 0;
  let repliesWithoutUsage = 0;
  const unpriced = new Set<string>();
  for (const row of rows) {
    tokens += row.inputTokens + row.outputTokens;
    repliesWithoutUsage += row.repliesWithoutUsage;
    const price = priceOf(prices, row.model);
    if (!price) {
      if (row.inputTokens + row.outputTokens > 0) unpriced.add(row.model);
      continue;
    }
    usd =
      (usd ?? 0) + (row.inputTokens * price.input_per_mtok + row.outputTokens * price.output_per_mtok) / 1e6;
  }
  return {
    tokens,
    usd: unpriced.size > 0 ? undefined : usd,
    unpriced: [...unpriced].sort(),
    repliesWithoutUsage,
  };
}

/** "$0.0042", "$0.31", "$12.40", "$1,234"; "?" when unknown. */
export function usdText(usd: number | undefined): string {
  if (usd === undefined) return "?";
  if (usd === 0) return "$0";
  if (usd < 0.01) return `$${usd.toFixed(4)}`;
  if (usd < 1000) return `$${usd.toFixed(2)}`;
  return `$${Math.round(usd).toLocaleString("en-US")}`;
}

/** 950 → "950", 12_345 → "12.3k", 2_500_000 → "2.5M". */
export function tokensText(n: number): string {
  if (n < 1000) return String(n);
  if (n < 1_000_000) return `${(n / 1000).toFixed(n < 10_000 ? 2 : 1).replace(/\.?0+$/, "")}k`;
  return `${(n / 1_000_000).toFixed(2).replace(/\.?0+$/, "")}M`;
}
