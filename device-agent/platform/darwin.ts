import * as posix from "./posix";
import type { InstallPlan, Platform } from "./types";

export const darwin: Platform = {
  os: "darwin",
  pathFlavor: "posix",
  shellArgv: posix.shellArgv,
  installPlan(packages, which): InstallPlan {
    // Homebrew refuses to run as root, so no sudo here: the agent runs as the user.
    if (!which("brew")) return { error: "brew is not installed (https://brew.sh)" };
    return { argv: ["brew", "install", "--", ...packages] };
  },
  processListArgv: posix.processListArgv,
  parseProcessList: posix.parseProcessList,
  detachChildren: true,
  killTree: posix.killTree,
  signal: posix.signal,
  executableNames: (tool) => [tool],
  // No /proc: fs/open.ts checks device and inode against realpath instead.
  fdRealPath: () => undefined,
  fdPath: () => undefined,
  fdPathForChildren: () => undefined,
};
