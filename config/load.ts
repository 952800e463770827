import { readFileSync, statSync } from "node:fs";
import { isAbsolute, resolve, dirname } from "node:path";
import { LineCounter, parseDocument, isNode } from "yaml";
import type { z } from "zod";
import type { Env } from "../common/env";
import { errorCode } from "../common/errors";
import { configSchema, type Config, type Secrets } from "./schema";

export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly problems: readonly string[],
  ) {
    super(`${file}: ${problems.length} problem(s) in the configuration:\n${problems.join("\n")}`);
    this.name = "ConfigError";
  }
}

export interface LoadedConfig {
  config: Readonly<Config>;
  /** Unknown keys and other things worth a warning but not worth refusing to start. */
  warnings: readonly string[];
}

type Path = readonly PropertyKey[];

/** Parses, validates and freezes a config file; throws ConfigError naming every bad key. */
export function loadConfig(file: string): LoadedConfig {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new ConfigError(file, [`cannot read the file: ${errorCode(error)}`]);
  }
  return parseConfig(text, file);
}

export function parseConfig(text: string, file = "<config>"): LoadedConfig {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      file,
      doc.errors.map((e) => `line ${lines.linePos(e.pos[0]).line}: ${e.message.split("\n")[0]}`),
    );
  }
  const where = (path: Path): string => {
    for (let depth = path.length; depth >= 0; depth--) {
      const node: unknown = doc.getIn(path.slice(0, depth) as unknown[], true);
      if (isNode(node) && node.range) return ` (line ${lines.linePos(node.range[0]).line})`;
    }
    return "";
  };
  const data: unknown = doc.toJS() ?? {};

  const warnings: string[] = [];
  let result = configSchema.safeParse(data);
  const unknown = result.success ? [] : result.error.issues.filter((i) => i.code === "unrecognized_keys");
  if (unknown.length > 0) {
    for (const issue of unknown) {
      for (const key of issue.keys) {
        const path = [...issue.path, key];
        warnings.push(`${formatPath(path)}${where(path)}: unknown key, ignored`);
        deleteAt(data, path);
      }
    }
    result = configSchema.safeParse(data);
  }
  if (!result.success) {
    throw new ConfigError(
      file,
      result.error.issues.map((issue) => describe(issue, where, data)),
    );
  }
  const config = result.data;
  config.state_dir = resolveFrom(file, config.state_dir);
  if (config.appservice.as_token_file)
    config.appservice.as_token_file = resolveFrom(file, config.appservice.as_token_file);
  if (config.appservice.hs_token_file)
    config.appservice.hs_token_file = resolveFrom(file, config.appservice.hs_token_file);
  if (config.llm?.api_key_file) config.llm.api_key_file = resolveFrom(file, config.llm.api_key_file);
  if (config.stt?.api_key_file) config.stt.api_key_file = resolveFrom(file, config.stt.api_key_file);
  if (config.mesh) {
    config.mesh.hub_config_file = resolveFrom(file, config.mesh.hub_config_file);
    config.mesh.agent_dir = resolveFrom(file, config.mesh.agent_dir);
  }
  return { config: deepFreeze(config), warnings };
}

/** Reads the appservice tokens: environment first, then the *_file paths (which must be 0600). */
export function loadSecrets(config: Readonly<Config>, env: Env): Secrets {
  const problems: string[] = [];
  const read = (
    value: string | undefined,
    file: string | undefined,
    key: string,
    envName: string,
  ): string => {
    if (value) return value;
    if (!file) {
      problems.push(`${key}: not set — point it at a file holding the token, or set ${envName}`);
      return "";
    }
    try {
      const mode = statSync(file).mode & 0o777;
      if ((mode & 0o077) !== 0) {
        problems.push(
          `${key}: ${file} is readable by others (mode ${mode.toString(8)}) — run chmod 600 ${file}`,
        );
        return "";
      }
      const token = readFileSync(file, "utf8").trim();
      if (!token) problems.push(`${key}: ${file} is empty`);
      return token;
    } catch (error) {
      problems.push(`${key}: cannot read ${file} (${errorCode(error)})`);
      return "";
    }
  };
  const asToken = read(
    env.asToken,
    config.appservice.as_token_file,
    "appservice.as_token_file",
    "MESHPILOT_AS_TOKEN",
  );
  const hsToken = read(
    env.hsToken,
    config.appservice.hs_token_file,
    "appservice.hs_token_file",
    "MESHPILOT_HS_TOKEN",
  );
  const llmApiKey = config.llm
    ? read(env.llmApiKey, config.llm.api_key_file, "llm.api_key_file", "MESHPILOT_LLM_API_KEY")
    : undefined;
  const sttApiKey =
    config.stt && (env.sttApiKey || config.stt.api_key_file)
      ? read(env.sttApiKey, config.stt.api_key_file, "stt.api_key_file", "MESHPILOT_STT_API_KEY")
      : undefined;
  if (problems.length > 0) throw new ConfigError("secrets", problems);
  return { asToken, hsToken, ...(llmApiKey ? { llmApiKey } : {}), ...(sttApiKey ? { sttApiKey } : {}) };
}

function describe(issue: z.core.$ZodIssue, where: (path: Path) => string, data: unknown): string {
  const path = issue.path as Path;
  const name = path.length > 0 ? formatPath(path) : "(top level)";
  const missing = issue.code === "invalid_type" && valueAt(data, path) === undefined;
  const message = missing ? "required key is missing" : issue.message;
  return `${name}${where(path)}: ${message}`;
}

function formatPath(path: Path): string {
  return path
    .map((part, i) => (typeof part === "number" ? `[${part}]` : `${i > 0 ? "." : ""}${String(part)}`))
    .join("");
}

function valueAt(data: unknown, path: Path): unknown {
  let node: unknown = data;
  for (const part of path) {
    if (typeof node !== "object" || node === null) return undefined;
    node = (node as Record<PropertyKey, unknown>)[part];
  }
  return node;
}

function deleteAt(data: unknown, path: Path): void {
  let node: unknown = data;
  for (const part of path.slice(0, -1)) {
    if (typeof node !== "object" || node === null) return;
    node = (node as Record<PropertyKey, unknown>)[part];
  }
  if (typeof node === "object" && node !== null)
    delete (node as Record<PropertyKey, unknown>)[path[path.length - 1]!];
}

function resolveFrom(configFile: string, path: string): string {
  return isAbsolute(path) ? path : resolve(dirname(resolve(configFile)), path);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
