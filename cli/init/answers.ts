import { FlagError, flagValue, type FlagSpec, type ParsedFlags } from "../flags";

/** What `meshpilot init` needs to know; everything else keeps the schema's defaults. */
export interface InitAnswers {
  homeserverUrl: string;
  serverName: string;
  operators: string[];
  appserviceUrl: string;
  stateDir: string;
  /** Empty: no ssh.key_file (SSH devices cannot be added until one is set). */
  sshKey: string;
  /** Empty endpoint: no mesh section (WireGuard devices cannot be added). */
  hubInterface: string;
  subnet: string;
  hubAddress: string;
  endpoint: string;
  /** Empty model and key file: no llm section (agents say no model is configured). */
  model: string;
  llmKeyFile: string;
  /** Empty: no stt section (voice messages get a reply saying so). */
  sttUrl: string;
  outDir: string;
}

export const INIT_FLAGS: FlagSpec = {
  values: [
    "homeserver-url",
    "server-name",
    "operator",
    "appservice-url",
    "state-dir",
    "ssh-key",
    "hub-interface",
    "subnet",
    "hub-address",
    "endpoint",
    "model",
    "llm-key-file",
    "stt-url",
    "out",
  ],
  repeatable: ["operator"],
  switches: ["yes", "force"],
};

interface Question {
  key: Exclude<keyof InitAnswers, "operators">;
  flag: string;
  prompt: string;
  /** The default, computed from the answers so far (the hub address follows the subnet). */
  fallback: (so: Partial<InitAnswers>) => string;
  /** Asked only when this holds for the answers so far. */
  when?: (so: Partial<InitAnswers>) => boolean;
  /** The default is only a suggestion for a person; without one asking, the flag is required. */
  suggestOnly?: true;
}

const hasMesh = (so: Partial<InitAnswers>): boolean => Boolean(so.endpoint);
const hasLlm = (so: Partial<InitAnswers>): boolean => Boolean(so.model);

/** In the order a person would be asked. Operators are asked separately (a list). */
const QUESTIONS: readonly Question[] = [
  {
    key: "homeserverUrl",
    flag: "homeserver-url",
    prompt: "Homeserver URL",
    fallback: () => "http://127.0.0.1:8008",
  },
  {
    key: "serverName",
    flag: "server-name",
    prompt: "Server name (after the colon in @you:server)",
    fallback: (so) => hostOf(so.homeserverUrl ?? ""),
    suggestOnly: true,
  },
  {
    key: "appserviceUrl",
    flag: "appservice-url",
    prompt: "URL the homeserver uses to reach the bot",
    fallback: () => "http://127.0.0.1:9000",
  },
  { key: "stateDir", flag: "state-dir", prompt: "State directory", fallback: () => "/var/lib/meshpilot" },
  {
    key: "sshKey",
    flag: "ssh-key",
    prompt: "Bot's SSH private key (empty: none)",
    fallback: () => "",
  },
  {
    key: "endpoint",
    flag: "endpoint",
    prompt: "WireGuard endpoint devices dial, host:port (empty: no mesh)",
    fallback: () => "",
  },
  {
    key: "hubInterface",
    flag: "hub-interface",
    prompt: "Hub WireGuard interface",
    fallback: () => "mesh0",
    when: hasMesh,
  },
  { key: "subnet", flag: "subnet", prompt: "Mesh subnet", fallback: () => "10.42.0.0/24", when: hasMesh },
  {
    key: "hubAddress",
    flag: "hub-address",
    prompt: "Hub address in the mesh",
    fallback: (so) => firstHost(so.subnet ?? ""),
    when: hasMesh,
  },
  { key: "model", flag: "model", prompt: "Model for device agents (empty: none)", fallback: () => "" },
  {
    key: "llmKeyFile",
    flag: "llm-key-file",
    prompt: "File holding the model API key (mode 0600)",
    fallback: () => "",
    when: hasLlm,
  },
  {
    key: "sttUrl",
    flag: "stt-url",
    prompt: "Speech-to-text endpoint …/v1/audio/transcriptions (empty: none)",
    fallback: () => "",
  },
  { key: "outDir", flag: "out", prompt: "Directory to write the config into", fallback: () => "." },
];

/** Asks one question; resolves to the answer (empty for "take the default"). */
export type Ask = (prompt: string, fallback: string) => Promise<string>;

/**
 * Flags win; what a flag did not give is asked (when `ask` is given) or defaulted. Without
 * `ask`, the server name and an operator are required, since they have no safe default.
 */
export async function gatherAnswers(flags: ParsedFlags, ask?: Ask): Promise<InitAnswers> {
  const so: Partial<InitAnswers> = {};
  for (const question of QUESTIONS) {
    const given = flagValue(flags, question.flag);
    if (given === undefined && question.when && !question.when(so)) {
      so[question.key] = "";
      continue;
    }
    const fallback = question.fallback(so);
    let value = given;
    if (value === undefined && ask) value = (await ask(question.prompt, fallback)).trim() || fallback;
    so[question.key] = value ?? (question.suggestOnly ? "" : fallback);
    if (question.key === "serverName") so.operators = await gatherOperators(flags, so, ask);
  }
  if (!so.serverName) throw new FlagError("--server-name is required (e.g. --server-name example.org)");
  if (!so.operators?.length) throw new FlagError("give at least one --operator @you:example.org");
  return so as InitAnswers;
}

async function gatherOperators(flags: ParsedFlags, so: Partial<InitAnswers>, ask?: Ask): Promise<string[]> {
  const given = flags.values.get("operator");
  if (given?.length) return [...given];
  if (!ask) return [];
  const answer = await ask("Operator Matrix IDs, comma-separated", `@admin:${so.serverName ?? ""}`);
  return (answer.trim() || `@admin:${so.serverName ?? ""}`)
    .split(",")
    .map((id) => id.trim())
    .filter(Boolean);
}

function hostOf(url: string): string {
  try {
    return new URL(url).hostname;
  } catch {
    return "";
  }
}

/** 10.42.0.0/24 → 10.42.0.1: the usual hub address. */
export function firstHost(subnet: string): string {
  const match = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\//.exec(subnet);
  if (!match) return "";
  return `${match[1]}.${match[2]}.${match[3]}.${Number(match[4]) + 1}`;
}
