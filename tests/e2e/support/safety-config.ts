import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import type { LabFacts } from "../../../lab/facts";
import { STANDIN_KEY } from "./agents";

/**
 * The lab's bot config with its own state directory, the Messages API stand-in as its
 * model, and whatever else a safety test needs (health timers, revoke code lifetime).
 */
export function writeSafetyConfig(
  facts: LabFacts,
  name: string,
  standInUrl: string,
  extra: Record<string, unknown> = {},
): string {
  const config = parse(readFileSync(facts.botConfig, "utf8")) as Record<string, unknown>;
  const keyFile = join(facts.labDir, "secrets", `llm-key-${name}`);
  writeFileSync(keyFile, STANDIN_KEY);
  chmodSync(keyFile, 0o600);
  config.state_dir = join(facts.labDir, `bot-state-${name}`);
  config.llm = {
    api_key_file: keyFile,
    base_url: standInUrl,
    retries: 1,
    retry_base_ms: 50,
    request_timeout_s: 20,
    approval_timeout_s: 60,
  };
  Object.assign(config, extra);
  const file = join(facts.labDir, `meshpilot-${name}.yaml`);
  writeFileSync(file, stringify(config));
  return file;
}
