import { Document } from "yaml";
import type { InitAnswers } from "./answers";

/** The files `init` writes next to the config; relative paths resolve from the config file. */
export const INIT_FILES = {
  config: "meshpilot.yaml",
  asToken: "as_token",
  hsToken: "hs_token",
  registration: "registration.yaml",
} as const;

/**
 * The config file for the answers. Only what differs from the schema's defaults, or what
 * has none, is written; every other key is documented in config/meshpilot.example.yaml.
 */
export function renderConfig(answers: InitAnswers, agentDir: string): string {
  const port = listenPort(answers.appserviceUrl);
  const config: Record<string, unknown> = {
    homeserver: { url: answers.homeserverUrl, server_name: answers.serverName },
    appservice: {
      id: "meshpilot",
      bind_address: bindAddress(answers.appserviceUrl),
      port,
      url: answers.appserviceUrl,
      as_token_file: INIT_FILES.asToken,
      hs_token_file: INIT_FILES.hsToken,
    },
    operators: answers.operators,
    state_dir: answers.stateDir,
  };
  if (answers.sshKey) config.ssh = { key_file: answers.sshKey };
  if (answers.endpoint)
    config.mesh = {
      interface: answers.hubInterface,
      subnet: answers.subnet,
      hub_address: answers.hubAddress,
      endpoint: answers.endpoint,
      hub_mode: "local",
      hub_config_file: `/etc/wireguard/${answers.hubInterface}.conf`,
      agent_dir: agentDir,
    };
  if (answers.model || answers.llmKeyFile)
    config.llm = {
      ...(answers.model ? { model: answers.model } : {}),
      ...(answers.llmKeyFile ? { api_key_file: answers.llmKeyFile } : {}),
    };
  if (answers.sttUrl) config.stt = { url: answers.sttUrl };
  const doc = new Document(config);
  doc.commentBefore =
    " Written by `meshpilot init`. Every key is documented in config/meshpilot.example.yaml;\n" +
    " relative paths are relative to this file. Check it with `meshpilot doctor --config FILE`.";
  return doc.toString();
}

/**
 * The bot listens on the port of the URL the homeserver uses, so a single answer sets
 * both; a URL without a port means the scheme's default (behind a reverse proxy).
 */
function listenPort(url: string): number {
  try {
    const parsed = new URL(url);
    if (parsed.port) return Number(parsed.port);
  } catch {
    // An invalid URL is reported by the schema, with its key.
  }
  return 9000;
}

/** Listen where the homeserver dials: loopback, the named IP, or everywhere for a host name. */
function bindAddress(url: string): string {
  let host = "";
  try {
    host = new URL(url).hostname;
  } catch {
    return "127.0.0.1";
  }
  if (host === "localhost" || host === "127.0.0.1") return "127.0.0.1";
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(host) ? host : "0.0.0.0";
}
