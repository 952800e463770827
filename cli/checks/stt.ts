import { fail, networkReason, pass, type Check } from "./types";

const LABEL = "speech-to-text reachable";

/** Any HTTP answer counts: a GET on a POST-only endpoint (405) still proves it listens. */
export const sttCheck: Check = {
  label: LABEL,
  applies: ({ config }) => config.stt !== undefined,
  async run({ config, fetch, timeoutMs }) {
    const url = config.stt!.url;
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
      await response.body?.cancel();
      return pass(LABEL, `${url} (HTTP ${response.status})`);
    } catch (error) {
      return fail(LABEL, `${url}: ${networkReason(error)}`, "start the STT server, or fix stt.url");
    }
  },
};
