/** The program table of each flavor. Built once from constants; nothing registers itself at import. */
import type { PolicyFlavor } from "../types";
import type { ProgramSpec } from "../grammar";
import { find } from "../find";
import { DARWIN_PROGRAMS } from "./darwin";
import { GNU_FILE_PROGRAMS } from "./gnu-files";
import { SYSTEMD_PROGRAMS } from "./gnu-services";
import { GNU_SYSTEM_PROGRAMS } from "./gnu-system";
import { GNU_TEXT_PROGRAMS } from "./gnu-text";
import { WINDOWS_PROGRAMS } from "./windows";

const TABLES: Readonly<Record<PolicyFlavor, readonly ProgramSpec[]>> = {
  linux: [...GNU_FILE_PROGRAMS, ...GNU_TEXT_PROGRAMS, find, ...GNU_SYSTEM_PROGRAMS, ...SYSTEMD_PROGRAMS],
  darwin: DARWIN_PROGRAMS,
  windows: WINDOWS_PROGRAMS,
};

/** The flavor's table; none for a flavor that is not one of ours (never a prototype's property). */
export function programsOf(flavor: PolicyFlavor): readonly ProgramSpec[] {
  return Object.prototype.hasOwnProperty.call(TABLES, flavor) ? TABLES[flavor] : [];
}

/** The name a program is known by in a flavor's table: Windows drops ".exe" and case. */
export function canonicalProgramName(flavor: PolicyFlavor, name: string): string {
  if (flavor !== "windows") return name;
  const lower = name.toLowerCase();
  return lower.endsWith(".exe") ? lower.slice(0, -4) : lower;
}

export function findProgram(flavor: PolicyFlavor, name: string): ProgramSpec | undefined {
  const wanted = canonicalProgramName(flavor, name);
  return programsOf(flavor).find((p) => p.name === wanted);
}
