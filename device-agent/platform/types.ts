import type { PathFlavor } from "../manifest/paths";

/** One process as proc.list reports it. */
export interface ProcessInfo {
  pid: number;
  ppid: number | null;
  user: string | null;
  cpu: number | null;
  rss_kb: number | null;
  command: string;
}

/** How a package install is run here, or why it cannot be. */
export type InstallPlan = { argv: string[] } | { error: string };

/** What differs between operating systems; one file per OS implements it. */
export interface Platform {
  os: "linux" | "darwin" | "windows";
  pathFlavor: PathFlavor;
  /** argv that runs a command line in the OS's usual shell. */
  shellArgv(command: string): string[];
  /** Picks the package manager and builds the install command; `which` finds tools on PATH. */
  installPlan(packages: readonly string[], which: (tool: string) => string | undefined): InstallPlan;
  /** argv that lists processes, and the parser for its output. */
  processListArgv(): string[];
  parseProcessList(output: string): ProcessInfo[];
  /** Spawn children in their own process group (POSIX), so a timeout can kill the whole tree. */
  detachChildren: boolean;
  /** Kills a child and everything it started. */
  killTree(pid: number): void;
  /** Sends a named signal (proc.kill); Windows can only terminate. */
  signal(pid: number, signal: "TERM" | "KILL" | "INT" | "HUP"): void;
  /** Names a tool's executable may have on PATH ("docker" → "docker.exe" on Windows). */
  executableNames(tool: string): string[];
  /**
   * Where an open descriptor really is (Linux: readlink /proc/self/fd/N), or undefined
   * when the OS cannot say: then the caller compares the descriptor's device and inode
   * with those of realpath(name) instead (see device-agent/fs/open.ts).
   */
  fdRealPath(fd: number): string | undefined;
  /**
   * A name that reaches an open directory itself, never resolving the path it was opened
   * by again (Linux: /proc/self/fd/N, usable as a cwd or a prefix for its entries), or
   * undefined when the OS has none.
   */
  fdPath(fd: number): string | undefined;
  /**
   * A name another process (a program the agent starts) can open to reach what the agent's
   * descriptor is open on (Linux: /proc/<agent pid>/fd/N), or undefined when the OS has none.
   */
  fdPathForChildren(fd: number): string | undefined;
}
