import { spawnSync } from "node:child_process";
import type { InstallPlan, Platform, ProcessInfo } from "./types";

/** Splits one line of `tasklist /fo csv` output ("a","b",...). */
function csvFields(line: string): string[] {
  return [...line.matchAll(/"((?:[^"]|"")*)"/g)].map((m) => m[1]!.replace(/""/g, '"'));
}

export function parseTasklist(output: string): ProcessInfo[] {
  const processes: ProcessInfo[] = [];
  for (const line of output.split(/\r?\n/)) {
    const [image, pid, , , memory] = csvFields(line);
    if (!image || !pid || !/^\d+$/.test(pid)) continue;
    const kb = memory ? Number(memory.replace(/[^\d]/g, "")) : NaN;
    processes.push({
      pid: Number(pid),
      ppid: null,
      user: null,
      cpu: null,
      rss_kb: Number.isNaN(kb) ? null : kb,
      command: image,
    });
  }
  return processes;
}

export const windows: Platform = {
  os: "windows",
  pathFlavor: "windows",
  // /d: no AutoRun macros; /s /c: run the rest as one command line.
  shellArgv: (command) => ["cmd.exe", "/d", "/s", "/c", command],
  installPlan(packages, which): InstallPlan {
    if (which("winget")) {
      return {
        argv: [
          "winget",
          "install",
          "--exact",
          "--silent",
          "--accept-package-agreements",
          "--accept-source-agreements",
          ...packages.flatMap((p) => ["--id", p]),
        ],
      };
    }
    if (which("choco")) return { argv: ["choco", "install", "-y", "--no-progress", ...packages] };
    return { error: "no supported package manager is installed (winget, choco)" };
  },
  processListArgv: () => ["tasklist", "/fo", "csv", "/nh"],
  parseProcessList: parseTasklist,
  // Windows has no process groups to signal; taskkill /T walks the tree instead.
  detachChildren: false,
  killTree(pid) {
    spawnSync("taskkill", ["/pid", String(pid), "/t", "/f"], { windowsHide: true, stdio: "ignore" });
  },
  signal(pid, name) {
    const args = ["/pid", String(pid), ...(name === "KILL" ? ["/f"] : [])];
    const result = spawnSync("taskkill", args, { windowsHide: true, encoding: "utf8" });
    if (result.status !== 0) throw new Error((result.stderr || result.stdout || "taskkill failed").trim());
  },
  executableNames: (tool) => [`${tool}.exe`, `${tool}.cmd`, `${tool}.bat`],
  // No /proc: fs/open.ts checks device and inode against realpath instead.
  fdRealPath: () => undefined,
  fdPath: () => undefined,
  fdPathForChildren: () => undefined,
};
