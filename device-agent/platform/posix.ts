import type { ProcessInfo } from "./types";

/** What Linux and macOS share: sh, ps, process groups and signals. */
export function shellArgv(command: string): string[] {
  return ["/bin/sh", "-c", command];
}

/** `ps` columns both procps (Linux) and BSD ps (macOS) accept; `=` drops the headers. */
export function processListArgv(): string[] {
  return ["ps", "-axo", "pid=,ppid=,user=,pcpu=,rss=,comm="];
}

export function parseProcessList(output: string): ProcessInfo[] {
  const processes: ProcessInfo[] = [];
  for (const line of output.split("\n")) {
    const match = /^\s*(\d+)\s+(\d+)\s+(\S+)\s+([\d.]+)\s+(\d+)\s+(.*)$/.exec(line);
    if (!match) continue;
    processes.push({
      pid: Number(match[1]),
      ppid: Number(match[2]),
      user: match[3]!,
      cpu: Number(match[4]),
      rss_kb: Number(match[5]),
      command: match[6]!.trim(),
    });
  }
  return processes;
}

/** The child leads its own process group (spawned detached): signal the whole group. */
export function killTree(pid: number): void {
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // Already gone, or the group is: fall back to the leader alone.
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      /* nothing left to kill */
    }
  }
}

export function signal(pid: number, name: "TERM" | "KILL" | "INT" | "HUP"): void {
  process.kill(pid, `SIG${name}`);
}

/** Prefix for commands that need root, when the agent is not root: sudo that never prompts. */
export function privileged(
  argv: string[],
  which: (tool: string) => string | undefined,
): string[] | undefined {
  if (process.getuid?.() === 0) return argv;
  return which("sudo") ? ["sudo", "-n", "--", ...argv] : undefined;
}
