import { count } from "./show";
import type { UsageStore } from "./usage-store";

/** llm.daily_token_limit (per device room) and llm.daily_token_limit_total; unset: no limit. */
export interface DailyLimits {
  perDevice?: number;
  total?: number;
}

/** Where one day's budget stands: the configured limit, what operators added, what is used. */
export interface BudgetState {
  limit: number;
  added: number;
  used: number;
}

/** The device's (or the total's, device undefined) budget today; undefined when it has no limit. */
export function budgetToday(
  store: UsageStore,
  limits: DailyLimits,
  device: string | undefined,
): BudgetState | undefined {
  const limit = device === undefined ? limits.total : limits.perDevice;
  if (limit === undefined) return undefined;
  return { limit, added: store.addedToday(device), used: store.tokensToday(device) };
}

export function exhausted(state: BudgetState | undefined): boolean {
  return state !== undefined && state.used >= state.limit + state.added;
}

/**
 * The one sentence the room reads when a model call would go past a daily limit (the
 * device's own first, then the fleet's), or undefined when the call may go ahead. A call
 * is refused once the day's use has reached the limit: the reply that crosses it is not
 * cut short, since its size is known only when it has come back.
 */
export function budgetRefusal(store: UsageStore, limits: DailyLimits, device: string): string | undefined {
  const own = budgetToday(store, limits, device);
  const until = `until 00:00 UTC (day ${store.today()} ends)`;
  if (exhausted(own))
    return `Today's token budget for ${device} is used up (${count(own!.used)} of ${count(own!.limit + own!.added)} tokens), so I won't call the model ${until} or until an operator runs !budget ${device} +N.`;
  const total = budgetToday(store, limits, undefined);
  if (exhausted(total))
    return `The fleet's token budget for today is used up (${count(total!.used)} of ${count(total!.limit + total!.added)} tokens across all devices), so I won't call the model ${until} or until an operator runs !budget all +N.`;
  return undefined;
}

/** The limits from the llm: block. */
export function dailyLimitsOf(llm: {
  daily_token_limit?: number;
  daily_token_limit_total?: number;
}): DailyLimits {
  return {
    ...(llm.daily_token_limit !== undefined ? { perDevice: llm.daily_token_limit } : {}),
    ...(llm.daily_token_limit_total !== undefined ? { total: llm.daily_token_limit_total } : {}),
  };
}
