import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { UserError } from "../../common/errors";
import type { AgentLayout, LocalAgent } from "../targets/types";

/** What the agent needs on every OS: its executable from the build, and its own config. */

/** The executable for a target and its expected SHA-256, from npm run build:agent's output. */
export function localAgent(agentDir: string, target: string): LocalAgent {
  const name = `device-agent-${target}${target.startsWith("windows") ? ".exe" : ""}`;
  const path = join(agentDir, name);
  let sums: string;
  try {
    sums = readFileSync(join(agentDir, "SHA256SUMS"), "utf8");
  } catch {
    throw new UserError(
      `the device agent is not built (no ${join(agentDir, "SHA256SUMS")}) — run npm run build:agent on the bot's host`,
    );
  }
  const line = sums.split("\n").find((l) => l.trim().endsWith(` ${name}`) || l.trim().endsWith(`*${name}`));
  if (!line)
    throw new UserError(
      `SHA256SUMS in ${agentDir} has no entry for ${name} — rebuild with npm run build:agent`,
    );
  return { path, sha256: line.split(/\s+/)[0]!, bytes: statSync(path).size };
}

/** The agent's own config: it listens on the mesh IP only. */
export function agentConfigYaml(meshIp: string, port: number, files: AgentLayout): string {
  return [
    "# written by meshpilot",
    "listen:",
    `  address: ${meshIp}`,
    `  port: ${port}`,
    `secret_file: ${files.secret}`,
    `manifest: ${files.manifest}`,
    `audit_db: ${files.audit}`,
    "log_level: info",
    "",
  ].join("\n");
}
