import { basename } from "node:path";

/**
 * Reads `strace -f -y` output (lab/strace-run.sh) and finds what a read-only program must
 * never do: open for writing, change a file's name/mode/owner/size/times, run another
 * program, or read outside the places it is allowed to.
 */
export type Rule = "write-open" | "mutating-syscall" | "foreign-execve" | "read-outside" | "secret-in-output";

export const RULES: readonly Rule[] = [
  "write-open",
  "mutating-syscall",
  "foreign-execve",
  "read-outside",
  "secret-in-output",
];

export interface Violation {
  rule: Rule;
  line: string;
  detail: string;
}

/** Syscalls that change the file system whatever their arguments (attempts count too). */
export const MUTATING_SYSCALLS: ReadonlySet<string> = new Set([
  ...["unlink", "unlinkat", "rename", "renameat", "renameat2", "rmdir", "mkdir", "mkdirat"],
  ...["chmod", "fchmod", "fchmodat", "fchmodat2", "chown", "lchown", "fchown", "fchownat"],
  ...["truncate", "ftruncate", "link", "linkat", "symlink", "symlinkat", "mknod", "mknodat"],
  ...["utime", "utimes", "utimensat", "futimesat"],
  ...["setxattr", "lsetxattr", "fsetxattr", "removexattr", "lremovexattr", "fremovexattr"],
]);

const WRITE_FLAGS = ["O_WRONLY", "O_RDWR", "O_CREAT", "O_TRUNC", "O_APPEND"];

/** Devices a reading program may open for writing (they store nothing). */
export const WRITABLE_DEVICES: readonly string[] = ["/dev/null", "/dev/tty"];

/**
 * Where a read-only program may read, by real path (the fd's path strace prints with -y),
 * besides the user's home: its libraries, locale and message catalogues, system read-only
 * data, its account and name-service files, kernel views, and each program's own config;
 * and its own executable (Go programs such as docker read it). A directory entry ends with
 * "/" (the directory and everything under it); anything else is one exact file. `programs`
 * limits an entry to those programs. O_PATH opens are not reads (they give a handle to a
 * name, not to its contents: systemd's path walk and find use them on "/", "/usr", …).
 */
export interface ReadAllowance {
  prefix: string;
  why: string;
  programs?: readonly string[];
}

export const READ_ALLOWED: readonly ReadAllowance[] = [
  { prefix: "/usr/lib/", why: "shared libraries, gconv, locales, os-release, systemd units" },
  { prefix: "/usr/share/", why: "locale messages, zoneinfo, terminfo, iproute2 tables" },
  { prefix: "/etc/ld.so.cache", why: "the dynamic loader" },
  { prefix: "/etc/locale.alias", why: "glibc locale aliases (/usr/share/locale/locale.alias links here)" },
  { prefix: "/etc/localtime", why: "the time zone" },
  { prefix: "/etc/passwd", why: "user names" },
  { prefix: "/etc/group", why: "group names" },
  { prefix: "/etc/nsswitch.conf", why: "name service switch" },
  { prefix: "/proc/", why: "ps, free, uptime, df, id read the kernel's views" },
  { prefix: "/sys/", why: "kernel views (lsblk, ip)" },
  { prefix: "/dev/null", why: "the null device" },
  { prefix: "/run/systemd/", why: "systemctl and journalctl talk to systemd" },
  { prefix: "/etc/machine-id", why: "journalctl picks the journal directory", programs: ["journalctl"] },
  { prefix: "/var/log/journal/", why: "the persistent journal", programs: ["journalctl"] },
  { prefix: "/run/log/journal/", why: "the volatile journal", programs: ["journalctl"] },
  { prefix: "/etc/systemd/", why: "unit files and drop-ins", programs: ["systemctl", "journalctl"] },
  { prefix: "/etc/xdg/systemd/", why: "user unit files (--user)", programs: ["systemctl"] },
  { prefix: "/etc/iproute2/", why: "ip and ss name tables", programs: ["ip", "ss"] },
  { prefix: "/run/netns/", why: "ip names the peer namespaces of links (netnsid)", programs: ["ip"] },
  { prefix: "/etc/services", why: "ss names ports", programs: ["ss"] },
  { prefix: "/etc/protocols", why: "ss names protocols", programs: ["ss"] },
  ...["/etc/host.conf", "/etc/resolv.conf", "/etc/hosts", "/etc/gai.conf"].map((prefix) => ({
    prefix,
    why: "the resolver (hostname -d/-f/-A looks its own name up)",
    programs: ["hostname"],
  })),
];

/** One syscall, its unfinished/resumed halves joined. */
export interface TraceCall {
  pid: number;
  name: string;
  args: string;
  result: string;
  line: string;
}

const CALL = /^(\d+)\s+(\w+)\((.*)\)\s+=\s+(.*)$/;
const UNFINISHED = /^(\d+)\s+(.*)\s<unfinished \.\.\.>$/;
const RESUMED = /^(\d+)\s+<\.\.\. (\w+) resumed>(.*)$/;

export function parseTrace(text: string): TraceCall[] {
  const pending = new Map<number, string>();
  const calls: TraceCall[] = [];
  for (const raw of text.split("\n")) {
    if (raw.trim() === "") continue;
    let line = raw;
    const unfinished = UNFINISHED.exec(raw);
    if (unfinished) {
      pending.set(Number(unfinished[1]), unfinished[2]!);
      continue;
    }
    const resumed = RESUMED.exec(raw);
    if (resumed) {
      const pid = Number(resumed[1]);
      line = `${pid} ${pending.get(pid) ?? `${resumed[2]}(`}${resumed[3]}`;
      pending.delete(pid);
    }
    const call = CALL.exec(line);
    if (call) calls.push({ pid: Number(call[1]), name: call[2]!, args: call[3]!, result: call[4]!, line });
  }
  return calls;
}

/** The first C string literal in an argument list, unescaped enough to compare, and what follows it. */
function firstString(args: string): { value: string; rest: string } | undefined {
  const start = args.indexOf('"');
  if (start < 0) return undefined;
  let value = "";
  for (let i = start + 1; i < args.length; i++) {
    const c = args[i]!;
    if (c === "\\") {
      value += args[i + 1] ?? "";
      i++;
    } else if (c === '"') {
      return { value, rest: args.slice(i + 1) };
    } else value += c;
  }
  return undefined;
}

/** The path strace -y printed for a returned fd: "3</etc/ld.so.cache>" → "/etc/ld.so.cache". */
function fdPath(result: string): string | undefined {
  const match = /^\d+<(.*)>/.exec(result);
  return match ? match[1] : undefined;
}

function allowedRead(path: string, home: string, program: string, executable: string | undefined): boolean {
  if (path === home || path.startsWith(`${home}/`) || path === executable) return true;
  return READ_ALLOWED.some(
    ({ prefix, programs }) =>
      (programs === undefined || programs.includes(program)) &&
      (prefix.endsWith("/") ? path === prefix.slice(0, -1) || path.startsWith(prefix) : path === prefix),
  );
}

const OPENS = new Set(["open", "openat", "openat2", "creat", "open_by_handle_at"]);
const EXECS = new Set(["execve", "execveat"]);

/** Every rule broken in one run: its trace, what it printed, the program named by argv[0]. */
export function findViolations(
  trace: string,
  output: string,
  run: { program: string; home: string; secret: string },
): Violation[] {
  const violations: Violation[] = [];
  let firstExec: string | undefined;
  for (const call of parseTrace(trace)) {
    if (OPENS.has(call.name)) {
      const path = firstString(call.args);
      const flags =
        call.name === "creat" ? ["O_CREAT", "O_WRONLY", "O_TRUNC"] : (path?.rest.match(/O_[A-Z]+/g) ?? []);
      const writes = flags.filter((f) => WRITE_FLAGS.includes(f));
      const target = fdPath(call.result) ?? path?.value ?? "";
      if (writes.length > 0 && !WRITABLE_DEVICES.includes(target))
        violations.push({ rule: "write-open", line: call.line, detail: `${target} ${writes.join("|")}` });
      const opened = flags.includes("O_PATH") ? undefined : fdPath(call.result);
      if (opened !== undefined && !allowedRead(opened, run.home, basename(run.program), firstExec))
        violations.push({ rule: "read-outside", line: call.line, detail: opened });
    } else if (MUTATING_SYSCALLS.has(call.name)) {
      violations.push({ rule: "mutating-syscall", line: call.line, detail: call.name });
    } else if (EXECS.has(call.name)) {
      const path = firstString(call.args)?.value ?? "";
      if (firstExec === undefined) {
        firstExec = path;
        if (basename(path) !== basename(run.program))
          violations.push({
            rule: "foreign-execve",
            line: call.line,
            detail: `${path} is not ${run.program}`,
          });
      } else if (path !== firstExec) {
        violations.push({ rule: "foreign-execve", line: call.line, detail: `${path} after ${firstExec}` });
      }
    }
  }
  if (output.includes(run.secret))
    violations.push({
      rule: "secret-in-output",
      line: output.slice(0, 300),
      detail: "the secret marker was printed",
    });
  return violations;
}
