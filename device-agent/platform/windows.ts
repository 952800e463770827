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

/** One taskkill run: its exit status and what it printed. */
export type Taskkill = (args: string[]) => { status: number | null; text: string };

const taskkill: Taskkill = (args) => {
  const r = spawnSync("taskkill", args, { windowsHide: true, encoding: "utf8" });
  return {
    status: r.status,
    text: `${r.stderr || r.stdout || r.error?.message || "taskkill failed"}`.trim(),
  };
};

/** Whether a process exists (signal 0: libuv opens it and reads its exit code). */
function exists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * proc.kill on Windows, which has no signals. KILL is taskkill /f (TerminateProcess).
 * TERM, INT and HUP first ask politely: taskkill without /f closes the process's windows
 * (WM_CLOSE). A program without a window — a console program, a script, a service — cannot
 * be asked: Windows' taskkill answers "can only be terminated forcefully" (Wine's, "could
 * not find process") and it keeps running. Then it is terminated, as Node's and Bun's
 * process.kill(pid, "SIGTERM") do on Windows.
 */
export function signalWindows(
  pid: number,
  name: "TERM" | "KILL" | "INT" | "HUP",
  run: Taskkill = taskkill,
  alive: (pid: number) => boolean = exists,
): void {
  if (name !== "KILL") {
    const polite = run(["/pid", String(pid)]);
    if (polite.status === 0) return;
    if (!alive(pid)) throw gone(polite.text);
  }
  const forced = run(["/pid", String(pid), "/f"]);
  if (forced.status !== 0) throw alive(pid) ? new Error(forced.text) : gone(forced.text);
}

/** proc.kill words an ESRCH as "no such process", whatever language taskkill speaks. */
function gone(text: string): Error {
  return Object.assign(new Error(text), { code: "ESRCH" });
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
  signal: (pid, name) => signalWindows(pid, name),
  executableNames: (tool) => [`${tool}.exe`, `${tool}.cmd`, `${tool}.bat`],
  // No /proc: fs/open.ts checks device and inode against realpath instead.
  fdRealPath: () => undefined,
  fdPath: () => undefined,
  fdPathForChildren: () => undefined,
};
