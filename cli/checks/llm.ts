import { fail, networkReason, pass, type Check } from "./types";

const LABEL = "model API reachable";

/**
 * A free request (the model list) with the configured key: it proves the address and
 * the key without spending tokens. A server without that route (a local stand-in)
 * still counts as reachable: it answered.
 */
export const llmCheck: Check = {
  label: LABEL,
  applies: ({ config }) => config.llm !== undefined,
  async run({ config, secrets, fetch, timeoutMs }) {
    const llm = config.llm!;
    const url = `${llm.base_url}/v1/models`;
    try {
      const response = await fetch(url, {
        headers: { "x-api-key": secrets.llmApiKey ?? "", "anthropic-version": "2023-06-01" },
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (response.status === 401 || response.status === 403)
        return fail(
          LABEL,
          `${llm.base_url}: HTTP ${response.status}, the API key was refused`,
          `put a valid key in ${llm.api_key_file ?? "llm.api_key_file"} (or MESHPILOT_LLM_API_KEY)`,
        );
      return pass(LABEL, `${llm.base_url} (HTTP ${response.status}), model ${llm.model}`);
    } catch (error) {
      return fail(
        LABEL,
        `${llm.base_url}: ${networkReason(error)}`,
        "check llm.base_url and the host's outbound HTTPS (proxy, firewall)",
      );
    }
  },
};
