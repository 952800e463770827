import type { Env } from "../../common/env";
import { ConfigError, loadConfig, loadSecrets, type LoadedConfig } from "../../config/load";
import type { Secrets } from "../../config/schema";
import { fail, pass, type CheckResult } from "./types";

export const CONFIG_LABEL = "config valid";

/** The first check: every other one needs the config and the secrets it names. */
export function checkConfig(
  file: string,
  env: Env,
): { result: CheckResult; warnings: readonly string[]; loaded?: LoadedConfig & { secrets: Secrets } } {
  try {
    const loaded = loadConfig(file);
    const secrets = loadSecrets(loaded.config, env);
    const detail = loaded.warnings.length ? `${loaded.warnings.length} warning(s)` : file;
    return { result: pass(CONFIG_LABEL, detail), warnings: loaded.warnings, loaded: { ...loaded, secrets } };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const problems = error.problems.join("; ");
    return {
      result: fail(
        CONFIG_LABEL,
        problems,
        `fix the keys named above; check again with meshpilot check-config --config ${file}`,
      ),
      warnings: [],
    };
  }
}
