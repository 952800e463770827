import type { Logger } from "../common/log";
import { errorMessage } from "../common/errors";

/**
 * Asks the homeserver to ping the bot once it listens. Synapse backs off from an
 * appservice it could not reach (4 s, 8 s … minutes between retries), so after the bot
 * was down for a while the operator's commands would wait out that backoff; a successful
 * ping makes Synapse retry what it holds at once. Failure only costs that wait: logged.
 */
export async function wakeHomeserver(options: {
  homeserverUrl: string;
  appserviceId: string;
  asToken: string;
  log: Logger;
  fetch?: typeof fetch;
}): Promise<boolean> {
  const url = `${options.homeserverUrl}/_matrix/client/v1/appservice/${encodeURIComponent(options.appserviceId)}/ping`;
  try {
    const response = await (options.fetch ?? fetch)(url, {
      method: "POST",
      headers: { authorization: `Bearer ${options.asToken}`, "content-type": "application/json" },
      body: JSON.stringify({ transaction_id: `meshpilot-start-${Date.now()}` }),
      signal: AbortSignal.timeout(10_000),
    });
    if (response.ok) return true;
    options.log.warn(
      { status: response.status },
      "the homeserver's ping of the bot failed; held events may arrive late",
    );
  } catch (error) {
    options.log.warn(
      { err: errorMessage(error) },
      "could not ask the homeserver to ping the bot; held events may arrive late",
    );
  }
  return false;
}
