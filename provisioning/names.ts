import { UserError } from "../common/errors";

export const DEVICE_NAME = /^[a-z0-9][a-z0-9-]{0,30}$/;

/** A device name becomes a Matrix localpart, a room alias and file names: keep it plain. */
export function validateDeviceName(name: string): void {
  if (DEVICE_NAME.test(name)) return;
  const shown = name.length > 40 ? `${name.slice(0, 40)}…` : name;
  throw new UserError(
    `"${shown}" is not a valid device name — use lower-case letters, digits and -, starting with a letter or digit, at most 31 characters (e.g. aurgi-pc)`,
  );
}
