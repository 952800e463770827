import { readFileSync, statSync } from "node:fs";
import { UserError, errorCode } from "../common/errors";

/** Reads a private key file, refusing one that others can read (as OpenSSH does). */
export function readPrivateKeyFile(path: string): Buffer {
  let mode: number;
  try {
    mode = statSync(path).mode & 0o777;
  } catch (error) {
    throw new UserError(
      `cannot read the SSH key ${path} (${errorCode(error)}) — check ssh.key_file or --key`,
    );
  }
  if ((mode & 0o077) !== 0) {
    throw new UserError(
      `the SSH key ${path} is readable by others (mode ${mode.toString(8)}) — run chmod 600 ${path}`,
    );
  }
  return readFileSync(path);
}
