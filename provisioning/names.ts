import { UserError } from "../common/errors";

/**
 * A DNS label (RFC 1123): names become host names, Matrix localparts, room aliases and file
 * names, so no leading or trailing hyphen, lower case, at most 31 characters.
 */
export const DEVICE_NAME = /^[a-z0-9]([a-z0-9-]{0,29}[a-z0-9])?$/;

export function validateDeviceName(name: string): void {
  if (DEVICE_NAME.test(name)) return;
  const shown = name.length > 40 ? `${name.slice(0, 40)}…` : name;
  const hint = /^-|-$/.test(name) ? " (it may not start or end with -)" : "";
  throw new UserError(
    `"${shown}" is not a valid device name${hint} — use lower-case letters, digits and -, starting and ending with a letter or digit, at most 31 characters (e.g. aurgi-pc)`,
  );
}
