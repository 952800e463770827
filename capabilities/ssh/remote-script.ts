import { randomBytes } from "node:crypto";
import { shellQuote } from "../../ssh/quote";
import { hasControlCharacter } from "./policy";

/**
 * One remote command per call, working on descriptors, not names: a POSIX sh script opens
 * each path once (`exec 3<"$p"`), prints the real path of the open descriptor (readlink
 * /proc/$$/fd/3) in a header, and runs the program on /proc/$$/fd/3 — so the program reads
 * exactly the object whose real path the bot then checks. A symlink swapped in after the
 * open changes nothing; one swapped in before it shows up in the header, and the bot drops
 * the output. Linux only (/proc).
 */

/** What a path must be: ssh_fs_read reads files, ssh_fs_list lists directories. */
export type Want = "file" | "dir" | "any";

export interface OpenedPath {
  /** Absolute, normalised. */
  path: string;
  want: Want;
}

/** An argv word: literal, or text followed by the descriptor path of opened[open]. */
export type ScriptWord = string | { prefix: string; open: number };

export interface ScriptPlan {
  /** Random per call: the header's delimiter, which no file name can predict. */
  nonce: string;
  opened: readonly OpenedPath[];
  /** Index into opened of the directory to run in (cd); absent: cd /. */
  cwd?: number;
  argv: readonly ScriptWord[];
}

/** The first descriptor used; opened[i] is on FIRST_FD + i (at most 9, one digit for sh). */
export const FIRST_FD = 3;
/** The script's own exit code when it stopped before running the program. */
export const STOPPED_EXIT = 97;

export function newNonce(): string {
  return `mp${randomBytes(12).toString("hex")}`;
}

/** The script text. Every word from the call is single-quoted by shellQuote. */
export function buildRemoteScript(plan: ScriptPlan): string {
  if (!/^[a-z0-9]+$/.test(plan.nonce)) throw new Error("the nonce must be lower-case letters and digits");
  if (plan.opened.length > 9 - FIRST_FD + 1) throw new Error("too many paths for one call");
  const lines = [
    "export LC_ALL=C PAGER=cat SYSTEMD_PAGER=cat SYSTEMD_COLORS=0 GIT_PAGER=cat",
    `n=${plan.nonce}`,
    "d=/proc/$$/fd",
    `printf '%s:pid:%s\\n' "$n" "$$"`,
  ];
  plan.opened.forEach((opened, i) => {
    if (hasControlCharacter(opened.path)) throw new Error("a path contains a control character");
    const fd = FIRST_FD + i;
    // Only regular files and directories are opened: a FIFO would block the open, a device
    // may act on open. The type is checked again on the descriptor, which is what counts.
    lines.push(
      `p=${shellQuote([opened.path])}`,
      `if [ -f "$p" ] || [ -d "$p" ]; then`,
      `  { command exec ${fd}<"$p"; } 2>/dev/null || { printf '%s:${fd}:unopenable:\\n' "$n"; exit ${STOPPED_EXIT}; }`,
      `elif [ -e "$p" ]; then printf '%s:${fd}:special:\\n' "$n"; exit ${STOPPED_EXIT}`,
      `else printf '%s:${fd}:missing:\\n' "$n"; exit ${STOPPED_EXIT}; fi`,
      `if [ -d "$d/${fd}" ]; then t=dir; f${fd}="$d/${fd}/"; elif [ -f "$d/${fd}" ]; then t=file; f${fd}="$d/${fd}"; else t=special; fi`,
      `printf '%s:${fd}:%s:' "$n" "$t"; readlink "$d/${fd}" || echo`,
      `case "$t" in special${opened.want === "any" ? "" : `|${opened.want === "file" ? "dir" : "file"}`}) exit ${STOPPED_EXIT};; esac`,
    );
  });
  lines.push(`printf '%s:end\\n' "$n"`);
  lines.push(
    plan.cwd === undefined
      ? `cd / || exit ${STOPPED_EXIT}`
      : `cd -P "$f${FIRST_FD + plan.cwd}" || exit ${STOPPED_EXIT}`,
  );
  const words = plan.argv.map((word) => {
    if (typeof word === "string") return shellQuote([word]);
    if (word.open < 0 || word.open >= plan.opened.length) throw new Error("a word names a path not opened");
    const ref = `"$f${FIRST_FD + word.open}"`;
    return word.prefix ? `${shellQuote([word.prefix])}${ref}` : ref;
  });
  if (words.length === 0) throw new Error("no program to run");
  lines.push(words.join(" "));
  return lines.join("\n");
}

/** The command sent over SSH: the script under sh, the whole of it under coreutils timeout. */
export function buildRemoteCommand(plan: ScriptPlan, timeoutS: number): string {
  // timeout kills the remote command itself; closing the channel alone may not.
  return `timeout -k 2 ${timeoutS} sh -c ${shellQuote([buildRemoteScript(plan)])}`;
}

export type OpenState = "file" | "dir" | "special" | "missing" | "unopenable";

export interface HeaderEntry {
  fd: number;
  state: OpenState;
  /** readlink of the descriptor; "" when the object was never opened. */
  real: string;
}

export interface ParsedOutput {
  pid?: string;
  entries: HeaderEntry[];
  /** Whether the header ended (every path opened and typed); the body is only kept then. */
  complete: boolean;
  /** What the program wrote to stdout. */
  body: string;
}

/** Splits the script's stdout into its header and the program's output. */
export function parseRemoteOutput(stdout: string, nonce: string): ParsedOutput {
  const endMarker = `\n${nonce}:end\n`;
  const end = stdout.indexOf(endMarker);
  const header = end >= 0 ? stdout.slice(0, end) : stdout;
  const body = end >= 0 ? stdout.slice(end + endMarker.length) : "";
  const parsed: ParsedOutput = { entries: [], complete: false, body: "" };
  const records = `\n${header.replace(/\n$/, "")}`.split(`\n${nonce}:`).slice(1);
  // The header must start at the first byte: anything before it is not ours.
  if (!header.startsWith(`${nonce}:pid:`)) return parsed;
  for (const record of records) {
    const pid = /^pid:([0-9]{1,10})$/.exec(record);
    if (pid) {
      parsed.pid = pid[1];
      continue;
    }
    const entry = /^([3-9]):(file|dir|special|missing|unopenable):([^]*)$/.exec(record);
    if (!entry) return parsed;
    parsed.entries.push({ fd: Number(entry[1]), state: entry[2] as OpenState, real: entry[3]! });
  }
  parsed.complete = end >= 0 && parsed.pid !== undefined;
  parsed.body = parsed.complete ? body : "";
  return parsed;
}

/**
 * The output as the model should see it: /proc/<pid>/fd/<N> (find, grep -r, ls -R, stat
 * print it) replaced by the real path the descriptor was opened on.
 */
export function mapDescriptorPaths(text: string, pid: string, entries: readonly HeaderEntry[]): string {
  const real = new Map(entries.map((e) => [String(e.fd), e.real]));
  return text.replace(
    new RegExp(`/proc/${pid}/fd/([3-9])(?![0-9])(/?)`, "g"),
    (whole, fd: string, slash: string) => {
      const path = real.get(fd);
      if (path === undefined) return whole;
      return slash && !path.endsWith("/") ? `${path}/` : path;
    },
  );
}

/** The real path as checked: readlink says "(deleted)" for an object unlinked after the open. */
export function checkedRealPath(real: string): string {
  return real.endsWith(" (deleted)") ? real.slice(0, -" (deleted)".length) : real;
}
