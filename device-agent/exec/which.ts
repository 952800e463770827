import { accessSync, constants, statSync } from "node:fs";
import { delimiter, isAbsolute, join } from "node:path";
import type { Platform } from "../platform";

/**
 * Finds a tool on PATH the way the OS would, so a missing tool can be reported plainly
 * ("docker is not installed") instead of as a spawn error.
 */
export function makeWhich(platform: Platform, pathVar: string = process.env.PATH ?? process.env.Path ?? "") {
  const dirs = pathVar.split(delimiter).filter((dir) => dir.length > 0);
  return (tool: string): string | undefined => {
    if (isAbsolute(tool)) return isExecutable(tool) ? tool : undefined;
    for (const dir of dirs) {
      for (const name of platform.executableNames(tool)) {
        const candidate = join(dir, name);
        if (isExecutable(candidate)) return candidate;
      }
    }
    return undefined;
  };
}

function isExecutable(file: string): boolean {
  try {
    if (!statSync(file).isFile()) return false;
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
