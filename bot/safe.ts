import type { Logger } from "../common/log";
import { errorMessage, isUserError, newReference } from "../common/errors";

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

/** Logs the failure and returns what the operator may read. */
export function describeFailure(log: Logger, label: string, error: unknown): string {
  if (isUserError(error)) {
    log.info({ label, reason: error.message }, "refused");
    return error.message;
  }
  const reference = newReference();
  log.error({ err: error, label, reference }, `internal error: ${errorMessage(error)}`);
  return `internal error, reference ${reference} — the bot's log has the details`;
}
