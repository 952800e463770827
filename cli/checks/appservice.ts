import { HOMESERVER_LABEL } from "./homeserver";
import { fail, networkReason, pass, type Check, type CheckResult } from "./types";

const LABEL = "appservice registered, bot answering";

/**
 * Synapse's appservice ping: the homeserver calls the bot's /_matrix/app/v1/ping with the
 * hs_token. 200 proves the registration is loaded, its URL reaches the bot and the
 * tokens match; each failure mode has its own error code and its own fix.
 */
export const appserviceCheck: Check = {
  label: LABEL,
  applies: ({ earlier }) => earlier.get(HOMESERVER_LABEL)?.ok === true,
  async run({ config, secrets, fetch, timeoutMs, configFile }) {
    const id = encodeURIComponent(config.appservice.id);
    const url = `${config.homeserver.url}/_matrix/client/v1/appservice/${id}/ping`;
    try {
      const response = await fetch(url, {
        method: "POST",
        headers: { authorization: `Bearer ${secrets.asToken}`, "content-type": "application/json" },
        body: "{}",
        signal: AbortSignal.timeout(timeoutMs),
      });
      const body = (await response.json().catch(() => ({}))) as {
        errcode?: unknown;
        duration_ms?: unknown;
        status?: unknown;
      };
      if (response.ok)
        return pass(LABEL, `ping ${typeof body.duration_ms === "number" ? `${body.duration_ms} ms` : "ok"}`);
      const errcode = typeof body.errcode === "string" ? body.errcode : "";
      // M_BAD_STATUS carries the bot's own HTTP status, which tells the causes apart.
      const botStatus = typeof body.status === "number" ? body.status : undefined;
      return diagnose(response.status, errcode, configFile, botStatus);
    } catch (error) {
      return fail(
        LABEL,
        `${url}: ${networkReason(error)}`,
        "check that the homeserver is up, then run doctor again",
      );
    }
  },
};

export function diagnose(
  status: number,
  errcode: string,
  configFile: string,
  botStatus?: number,
): CheckResult {
  const detail = `HTTP ${status}${errcode ? ` ${errcode}` : ""}`;
  switch (errcode) {
    case "M_UNKNOWN_TOKEN":
    case "M_MISSING_TOKEN":
      return fail(
        LABEL,
        `${detail}: the homeserver does not know this as_token (registration not loaded)`,
        `add the registration (meshpilot registration --config ${configFile}) to app_service_config_files in homeserver.yaml and restart Synapse`,
      );
    case "M_FORBIDDEN":
      return fail(
        LABEL,
        `${detail}: the as_token belongs to another appservice id`,
        "make appservice.id match the id in the registration file Synapse loaded, or re-register",
      );
    case "M_URL_NOT_SET":
      return fail(
        LABEL,
        `${detail}: the registration has no url`,
        "set url in the registration file and restart Synapse",
      );
    case "M_CONNECTION_FAILED":
    case "M_CONNECTION_TIMEOUT":
      return fail(
        LABEL,
        `${detail}: the homeserver cannot reach the bot (not running?)`,
        `start the bot (meshpilot start --config ${configFile}); if it runs, check appservice.url is reachable from Synapse`,
      );
    case "M_UNRECOGNIZED":
    case "M_NOT_FOUND":
      return fail(
        LABEL,
        `${detail}: this homeserver has no appservice ping`,
        "upgrade Synapse (1.84 or newer), or check the registration by hand with meshpilot start",
      );
    case "M_BAD_STATUS":
      if (botStatus === 404)
        return fail(
          LABEL,
          `${detail}: the bot answered 404 to the ping (a build without it)`,
          `rebuild (npm run build) and restart the bot: meshpilot start --config ${configFile}`,
        );
      if (botStatus !== 401 && botStatus !== 403)
        return fail(
          LABEL,
          `${detail}: the bot answered HTTP ${botStatus ?? "?"} to the ping`,
          "read the bot's log around this time; restart it if it is stuck",
        );
      return fail(
        LABEL,
        `${detail}: the bot refused the homeserver's hs_token`,
        "the hs_token in Synapse's registration differs from the bot's: re-run meshpilot registration and restart Synapse",
      );
    default:
      return fail(
        LABEL,
        `${detail}: unexpected answer to the ping`,
        "check the homeserver's log for the appservice ping, then run doctor again",
      );
  }
}
