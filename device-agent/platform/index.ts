import { darwin } from "./darwin";
import { linux } from "./linux";
import type { Platform } from "./types";
import { windows } from "./windows";

export type { Platform, ProcessInfo, InstallPlan } from "./types";

/** The platform the agent runs on (all three are bundled; the choice is made at run time). */
export function currentPlatform(os: NodeJS.Platform = process.platform): Platform {
  if (os === "win32") return windows;
  if (os === "darwin") return darwin;
  return linux;
}
