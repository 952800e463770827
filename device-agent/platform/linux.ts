import { readlinkSync } from "node:fs";
import * as posix from "./posix";
import type { InstallPlan, Platform } from "./types";

/**
 * Linux package managers in the order they are tried. `apt-get` waits for the dpkg lock
 * rather than failing when another install is running.
 */
const MANAGERS: ReadonlyArray<{ tool: string; argv: (packages: readonly string[]) => string[] }> = [
  {
    tool: "apt-get",
    argv: (p) => [
      "apt-get",
      "install",
      "-y",
      "-q",
      "--no-install-recommends",
      "-o",
      "DPkg::Lock::Timeout=120",
      "--",
      ...p,
    ],
  },
  { tool: "dnf", argv: (p) => ["dnf", "install", "-y", "--", ...p] },
  { tool: "yum", argv: (p) => ["yum", "install", "-y", "--", ...p] },
  { tool: "pacman", argv: (p) => ["pacman", "-S", "--noconfirm", "--needed", "--", ...p] },
  { tool: "zypper", argv: (p) => ["zypper", "--non-interactive", "install", "--", ...p] },
  { tool: "apk", argv: (p) => ["apk", "add", "--", ...p] },
];

export const linux: Platform = {
  os: "linux",
  pathFlavor: "posix",
  shellArgv: posix.shellArgv,
  installPlan(packages, which): InstallPlan {
    const manager = MANAGERS.find((m) => which(m.tool) !== undefined);
    if (!manager)
      return { error: "no supported package manager is installed (apt-get, dnf, yum, pacman, zypper, apk)" };
    const argv = posix.privileged(manager.argv(packages), which);
    if (!argv) return { error: `${manager.tool} needs root, and sudo is not installed` };
    return { argv };
  },
  processListArgv: posix.processListArgv,
  parseProcessList: posix.parseProcessList,
  detachChildren: true,
  killTree: posix.killTree,
  signal: posix.signal,
  executableNames: (tool) => [tool],
  fdRealPath: linuxFdRealPath,
  fdPath: (fd) => `/proc/self/fd/${fd}`,
  fdPathForChildren: (fd) => `/proc/${process.pid}/fd/${fd}`,
};

/**
 * The kernel's name for what the descriptor is open on. A file deleted since it was
 * opened reads "<path> (deleted)" (and a pipe or socket has no path): an error then.
 */
function linuxFdRealPath(fd: number): string {
  const target = readlinkSync(`/proc/self/fd/${fd}`);
  if (!target.startsWith("/") || target.endsWith(" (deleted)")) {
    throw new Error(`what was opened has no path any more (${target})`);
  }
  return target;
}
