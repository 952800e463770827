import { UserError } from "../../common/errors";
import { budgetToday, type DailyLimits } from "../../agents/usage-budget";
import type { UsageStore } from "../../agents/usage-store";
import { count } from "../../agents/show";
import { plain } from "../reply";
import type { Command } from "./types";

export interface BudgetDeps {
  store: UsageStore;
  limits: DailyLimits;
  /** Whether a device of that name exists (any state: its room may still be over budget). */
  known(name: string): boolean;
}

const USAGE = "!budget <device|all> +N";
/** More than any day could use; a typo of a few extra digits is refused, not granted. */
const MAX_ADD = 100_000_000;

/**
 * `!budget <device> +N` adds N tokens to that device room's budget for today (UTC);
 * `!budget all +N` to the fleet's total. Kept per day with who added it (budget_additions),
 * so the next UTC day starts from the configured limit again.
 */
export function budgetCommand(deps: BudgetDeps): Command {
  return {
    name: "budget",
    summary: "add tokens to a device room's daily model budget (or all: the fleet's), for today only",
    usage: USAGE,
    args: {
      positionals: [
        { name: "target", required: true },
        { name: "tokens", required: true },
      ],
      flags: {},
    },
    async run(ctx, args) {
      const target = args.positionals.target!;
      const tokens = parseTokens(args.positionals.tokens!);
      const device = target === "all" ? undefined : target;
      if (device !== undefined && !deps.known(device))
        throw new UserError(`there is no device ${device} — !budget takes a device name or all`);
      const before = budgetToday(deps.store, deps.limits, device);
      if (!before)
        throw new UserError(
          device === undefined
            ? "there is no total daily limit to raise (llm.daily_token_limit_total is not set)"
            : "there is no per-device daily limit to raise (llm.daily_token_limit is not set)",
        );
      deps.store.addToday(device, tokens, ctx.sender);
      ctx.log.info(
        { operator: ctx.sender, device: device ?? "all", tokens },
        "token budget raised for today",
      );
      const now = budgetToday(deps.store, deps.limits, device)!;
      const whose = device === undefined ? "the fleet's total" : `${device}'s`;
      await ctx.reply(
        plain(
          `Added ${count(tokens)} tokens to ${whose} budget for today (${deps.store.today()} UTC): ${count(now.used)} of ${count(now.limit + now.added)} used.`,
        ),
      );
    },
  };
}

function parseTokens(word: string): number {
  const match = /^\+(\d{1,12})$/.exec(word);
  const n = match ? Number(match[1]) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > MAX_ADD)
    throw new UserError(
      `say how many tokens to add as +N, from +1 to +${count(MAX_ADD)} (not ${word}) — usage: ${USAGE}`,
    );
  return n;
}
