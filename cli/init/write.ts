import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Env } from "../../common/env";
import { UserError } from "../../common/errors";
import { buildRegistration, registrationYaml } from "../../bot/registration";
import { loadConfig, loadSecrets, parseConfig } from "../../config/load";
import type { InitAnswers } from "./answers";
import { INIT_FILES, renderConfig } from "./render";

export interface InitResult {
  configPath: string;
  registrationPath: string;
  registration: string;
  warnings: readonly string[];
}

/**
 * Writes the config, two fresh tokens and the registration into the output directory.
 * The config is validated before anything is written and again, with the real token
 * files, by the loader `meshpilot start` uses before success is reported.
 */
export function writeInitFiles(
  answers: InitAnswers,
  options: { force: boolean; agentDir: string; env: Env },
): InitResult {
  const outDir = resolve(answers.outDir);
  const configPath = join(outDir, INIT_FILES.config);
  if (existsSync(configPath) && !options.force)
    throw new UserError(`${configPath} already exists — pass --force to replace it (and its tokens)`);
  const text = renderConfig(answers, options.agentDir);
  // Checked as text first, and the operator's own secrets (the model key) with stand-in
  // tokens, so a bad answer leaves nothing half-written behind.
  const draft = parseConfig(text, configPath).config;
  loadSecrets(draft, { ...options.env, asToken: "draft", hsToken: "draft" });

  mkdirSync(outDir, { recursive: true, mode: 0o700 });
  writeSecret(join(outDir, INIT_FILES.asToken), newToken());
  writeSecret(join(outDir, INIT_FILES.hsToken), newToken());
  writeFileSync(configPath, text, { mode: 0o644 });

  const { config, warnings } = loadConfig(configPath);
  // The env overrides are ignored on purpose: the registration must carry the file tokens.
  const secrets = loadSecrets(config, { ...options.env, asToken: undefined, hsToken: undefined });
  const registration = registrationYaml(buildRegistration(config, secrets));
  const registrationPath = join(outDir, INIT_FILES.registration);
  writeSecret(registrationPath, registration);
  return { configPath, registrationPath, registration, warnings };
}

/** 256 bits, URL-safe: tokens go into HTTP headers and YAML unquoted. */
function newToken(): string {
  return randomBytes(32).toString("base64url");
}

/** 0600 even when the file existed with looser permissions (writeFile's mode is only for new files). */
function writeSecret(path: string, content: string): void {
  writeFileSync(path, content.endsWith("\n") ? content : `${content}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
}
