import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { errorCode, UserError } from "../common/errors";

/**
 * The per-device HMAC secret the bot signs every agent call with, kept at
 * <state_dir>/devices/<name>/agent.secret (0600). The only reader: a secret others can
 * read is refused everywhere, not just on the path that happened to check.
 */
export function agentSecretPath(stateDir: string, device: string): string {
  return join(stateDir, "devices", device, "agent.secret");
}

export function newAgentSecret(): string {
  return randomBytes(32).toString("hex");
}

export function saveAgentSecret(stateDir: string, device: string, secret: string): void {
  mkdirSync(join(stateDir, "devices", device), { recursive: true, mode: 0o700 });
  writeFileSync(agentSecretPath(stateDir, device), `${secret}\n`, { mode: 0o600 });
}

/** The secret, or undefined when there is none yet; a file others can read (or an empty one) throws. */
export function findAgentSecret(stateDir: string, device: string): string | undefined {
  const file = agentSecretPath(stateDir, device);
  let mode: number;
  try {
    mode = statSync(file).mode;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new UserError(
      `cannot read the agent secret of ${device} (${errorCode(error)}) — re-run !add-pc ${device}`,
    );
  }
  if ((mode & 0o077) !== 0) throw new UserError(`${file} is readable by others — run chmod 600 ${file}`);
  let secret: string;
  try {
    secret = readFileSync(file, "utf8").trim();
  } catch (error) {
    throw new UserError(
      `cannot read the agent secret of ${device} (${errorCode(error)}) — re-run !add-pc ${device}`,
    );
  }
  if (!secret) throw new UserError(`${file} is empty — re-run !add-pc ${device}`);
  return secret;
}

/** The secret; a missing one is an error that says what to do. */
export function readAgentSecret(stateDir: string, device: string): string {
  const secret = findAgentSecret(stateDir, device);
  if (secret === undefined)
    throw new UserError(`there is no agent secret for ${device} — re-run !add-pc ${device}`);
  return secret;
}

export function removeAgentSecret(stateDir: string, device: string): void {
  rmSync(join(stateDir, "devices", device), { recursive: true, force: true });
}
