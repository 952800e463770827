import { spendOf, tokensText, usdText, type Prices, type Spend } from "../../agents/usage-cost";
import { budgetToday, exhausted, type DailyLimits } from "../../agents/usage-budget";
import { daysBefore, type UsageRow, type UsageStore } from "../../agents/usage-store";
import { wrapGrid } from "../grid";
import { escapeHtml } from "../html";
import type { Command } from "./types";

export interface UsageDeps {
  store: UsageStore;
  prices: Prices;
  limits: DailyLimits;
}

/** Columns: device 10, then tokens and cost for today and for 7 days (40 in all). */
const NAME = 10;
const TOKENS = 6;
const COST = 7;

/**
 * `!usage`: tokens and estimated cost per device and in total, today and over the last 7
 * UTC days, from the API's own usage numbers; cost from llm.prices (a model with no price
 * shows "?"). A <pre> of at most 40 columns, for the phone.
 */
export function usageCommand(deps: UsageDeps): Command {
  return {
    name: "usage",
    summary: "tokens and estimated cost of the agents' model, per device and in total, today and 7 days",
    usage: "!usage",
    args: { positionals: [], flags: {} },
    async run(ctx) {
      const grid = usageGrid(deps).join("\n");
      await ctx.reply({ body: grid, html: `<pre><code>${escapeHtml(grid)}</code></pre>` });
    },
  };
}

export function usageGrid(deps: UsageDeps): string[] {
  const { store, prices } = deps;
  const today = store.today();
  const todayRows = store.since(today);
  const weekRows = store.since(daysBefore(today, 6));
  const devices = [...new Set(weekRows.map((r) => r.device))].sort();
  const lines = [`model use, UTC day ${today}`];
  if (devices.length === 0) lines.push("no model use in the last 7 days");
  else {
    lines.push(row("device", "today", "cost", "7 days", "cost"));
    for (const device of devices) {
      const of = (rows: readonly UsageRow[]): Spend =>
        spendOf(
          rows.filter((r) => r.device === device),
          prices,
        );
      lines.push(...spendRow(device, of(todayRows), of(weekRows)));
    }
    lines.push(...spendRow("all", spendOf(todayRows, prices), spendOf(weekRows, prices)));
  }
  lines.push(...limitLines(deps, devices));
  const week = spendOf(weekRows, prices);
  if (week.unpriced.length > 0) lines.push(`? cost unknown: no llm.prices for ${week.unpriced.join(", ")}`);
  if (week.repliesWithoutUsage > 0)
    lines.push(`${week.repliesWithoutUsage} replies came without usage (not counted)`);
  return wrapGrid(lines);
}

function row(name: string, t1: string, c1: string, t7: string, c7: string): string {
  return [
    name.padEnd(NAME),
    t1.padStart(TOKENS),
    c1.padStart(COST),
    t7.padStart(TOKENS),
    c7.padStart(COST),
  ].join(" ");
}

/** A device's line; a name longer than its column gets a line of its own above the numbers. */
function spendRow(name: string, today: Spend, week: Spend): string[] {
  const numbers = (label: string): string =>
    row(label, tokensText(today.tokens), usdText(today.usd), tokensText(week.tokens), usdText(week.usd));
  return name.length > NAME ? [name, numbers("")] : [numbers(name)];
}

function limitLines(deps: UsageDeps, devices: readonly string[]): string[] {
  const { store, limits } = deps;
  const lines: string[] = [];
  const perDevice = limits.perDevice === undefined ? "none" : `${tokensText(limits.perDevice)} a device`;
  const total = limits.total === undefined ? "none in all" : `${tokensText(limits.total)} in all`;
  lines.push(`daily limit: ${perDevice}, ${total}`);
  for (const device of devices) {
    const state = budgetToday(store, limits, device);
    if (!state) continue;
    const added = state.added > 0 ? ` (+${tokensText(state.added)})` : "";
    if (exhausted(state) || state.added > 0)
      lines.push(
        `${exhausted(state) ? "⛔" : "➕"} ${device} ${tokensText(state.used)}/${tokensText(state.limit + state.added)}${added}`,
      );
  }
  const all = budgetToday(store, limits, undefined);
  if (all && (exhausted(all) || all.added > 0))
    lines.push(
      `${exhausted(all) ? "⛔" : "➕"} all ${tokensText(all.used)}/${tokensText(all.limit + all.added)}${all.added > 0 ? ` (+${tokensText(all.added)})` : ""}`,
    );
  return lines;
}
