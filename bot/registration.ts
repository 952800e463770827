import { stringify } from "yaml";
import type { IAppserviceRegistration } from "matrix-bot-sdk";
import type { Config, Secrets } from "../config/schema";

export type Registration = IAppserviceRegistration & { rate_limited: boolean; url: string; id: string };

/**
 * The registration the homeserver loads. The bot owns the agent users exclusively; device
 * room aliases and the control room's alias too. rate_limited is off: Synapse's default for appservice users is
 * 0.2 messages/s, far too slow for progress edits.
 */
export function buildRegistration(config: Readonly<Config>, secrets: Secrets): Registration {
  const server = escapeRegex(config.homeserver.server_name);
  return {
    id: config.appservice.id,
    url: config.appservice.url,
    as_token: secrets.asToken,
    hs_token: secrets.hsToken,
    sender_localpart: config.appservice.bot_localpart,
    rate_limited: false,
    namespaces: {
      users: [
        { exclusive: true, regex: `@${escapeRegex(config.appservice.agent_localpart_prefix)}.*:${server}` },
      ],
      aliases: [
        { exclusive: true, regex: `#device-.*:${server}` },
        // Exclusive: nobody else may create the control room's alias and have the bot invite
        // the operators into their room (bot/rooms.ts also checks who created the room).
        { exclusive: true, regex: `#${escapeRegex(config.rooms.alerts_alias)}:${server}` },
      ],
      rooms: [],
    },
  };
}

export function registrationYaml(registration: Registration): string {
  return (
    "# meshpilot appservice registration: add this file's path to app_service_config_files\n" +
    "# in the homeserver's homeserver.yaml. It holds secrets: keep it mode 0600.\n" +
    stringify(registration)
  );
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
