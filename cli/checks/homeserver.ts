import { fail, networkReason, pass, type Check } from "./types";

export const HOMESERVER_LABEL = "homeserver reachable";

export const homeserverCheck: Check = {
  label: HOMESERVER_LABEL,
  applies: () => true,
  async run({ config, fetch, timeoutMs }) {
    const url = `${config.homeserver.url}/_matrix/client/versions`;
    const hint = `start the homeserver, or fix homeserver.url (now ${config.homeserver.url})`;
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
      if (!response.ok) return fail(HOMESERVER_LABEL, `${url}: HTTP ${response.status}`, hint);
      return pass(HOMESERVER_LABEL, config.homeserver.url);
    } catch (error) {
      return fail(HOMESERVER_LABEL, `${url}: ${networkReason(error)}`, hint);
    }
  },
};
