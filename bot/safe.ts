import type { Logger } from "../common/log";
import { describeFailure } from "../common/errors";

export { describeFailure };

/**
 * The one entry point every appservice listener and command goes through: nothing
 * thrown escapes, nothing is left floating. A UserError's sentence goes to the
 * operator as it is; anything else is logged with a reference the operator can quote.
 */
export function runSafely(
  log: Logger,
  label: string,
  work: () => Promise<void>,
  tellOperator?: (message: string) => Promise<unknown>,
): void {
  work().catch(async (error: unknown) => {
    const message = describeFailure(log, label, error);
    if (!tellOperator) return;
    try {
      await tellOperator(message);
    } catch (replyError) {
      log.error({ err: replyError, label }, "could not tell the operator about a failure");
    }
  });
}
