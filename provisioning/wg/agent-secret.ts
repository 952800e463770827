import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** The per-device HMAC secret, kept by the bot at <state_dir>/devices/<name>/agent.secret (0600). */
export function agentSecretPath(stateDir: string, device: string): string {
  return join(stateDir, "devices", device, "agent.secret");
}

export function newAgentSecret(): string {
  return randomBytes(32).toString("hex");
}

export function saveAgentSecret(stateDir: string, device: string, secret: string): void {
  const path = agentSecretPath(stateDir, device);
  mkdirSync(join(stateDir, "devices", device), { recursive: true, mode: 0o700 });
  writeFileSync(path, `${secret}\n`, { mode: 0o600 });
}

export function readAgentSecret(stateDir: string, device: string): string | undefined {
  try {
    return readFileSync(agentSecretPath(stateDir, device), "utf8").trim();
  } catch {
    return undefined;
  }
}

export function removeAgentSecret(stateDir: string, device: string): void {
  rmSync(join(stateDir, "devices", device), { recursive: true, force: true });
}
