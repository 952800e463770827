import type { Logger } from "../common/log";
import { errorMessage } from "../common/errors";

/**
 * Waits for the homeserver's client API to answer, retrying with backoff (1 s doubling
 * to 30 s). Gives up after maxWaitS seconds (0 = never) with an error saying what to check.
 */
export async function waitForHomeserver(
  url: string,
  maxWaitS: number,
  log: Logger,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
): Promise<void> {
  const started = Date.now();
  let delayMs = 1000;
  for (let attempt = 1; ; attempt++) {
    try {
      const response = await fetch(`${url}/_matrix/client/versions`, { signal: AbortSignal.timeout(10_000) });
      if (response.ok) {
        if (attempt > 1) log.info({ url, attempt }, "homeserver reachable");
        return;
      }
      throw new Error(`HTTP ${response.status}`);
    } catch (error) {
      const waited = (Date.now() - started) / 1000;
      const reason = describeFetchError(error);
      if (maxWaitS > 0 && waited + delayMs / 1000 > maxWaitS) {
        throw new Error(
          `homeserver ${url} is not reachable (${reason}) after ${Math.round(waited)} s — check homeserver.url and that the homeserver is running`,
        );
      }
      log.warn(
        { url, attempt, retryInMs: delayMs },
        `homeserver ${url} not reachable (${reason}); retrying in ${delayMs / 1000} s`,
      );
      await sleep(delayMs);
      delayMs = Math.min(delayMs * 2, 30_000);
    }
  }
}

function describeFetchError(error: unknown): string {
  const cause = (error as { cause?: { code?: string } }).cause;
  return cause?.code ?? errorMessage(error);
}
