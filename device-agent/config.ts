import { readFileSync, statSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { parseDocument } from "yaml";
import { z } from "zod";

/**
 * The agent's own config file (YAML). Paths in it may be relative to the file. The
 * secret is never in it: `secret_file` names a file that must be mode 0600.
 */
const schema = z.strictObject({
  listen: z.strictObject({
    address: z.string().min(1).describe("The PC's mesh IP (never 0.0.0.0 on a real device)"),
    port: z.number().int().min(1).max(65535).default(7443),
  }),
  secret_file: z.string().min(1),
  manifest: z.string().min(1),
  audit_db: z.string().min(1),
  log_level: z.enum(["debug", "info", "warn", "error"]).default("info"),
});

export type AgentConfig = z.infer<typeof schema>;

export class AgentConfigError extends Error {}

export function parseAgentConfig(text: string, file: string): AgentConfig {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) throw new AgentConfigError(`${file}: ${doc.errors[0]!.message}`);
  const result = schema.safeParse(doc.toJS());
  if (!result.success) {
    const problems = result.error.issues.map(
      (issue) => `${issue.path.join(".") || "(top)"}: ${issue.message}`,
    );
    throw new AgentConfigError(`${file}: ${problems.join("; ")}`);
  }
  const base = dirname(resolve(file));
  const at = (path: string): string => (isAbsolute(path) ? path : resolve(base, path));
  const config = result.data;
  return {
    ...config,
    secret_file: at(config.secret_file),
    manifest: at(config.manifest),
    audit_db: at(config.audit_db),
  };
}

export function loadAgentConfig(file: string): AgentConfig {
  return parseAgentConfig(readFileSync(file, "utf8"), file);
}

/** The per-device secret; refuses a file others can read, and one too short to be a key. */
export function readSecret(file: string, platform: NodeJS.Platform = process.platform): string {
  if (platform !== "win32") {
    const mode = statSync(file).mode & 0o777;
    if ((mode & 0o077) !== 0) {
      throw new AgentConfigError(
        `${file} is mode ${mode.toString(8)}; it holds the device secret and must be 0600`,
      );
    }
  }
  const secret = readFileSync(file, "utf8").trim();
  if (secret.length < 32) throw new AgentConfigError(`${file}: the secret must be at least 32 characters`);
  return secret;
}
