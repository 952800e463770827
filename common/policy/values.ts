/** Value types shared by the program tables, and the check of one word against a type. */
import type { ValueType } from "./grammar";

function regex(name: string, re: RegExp, samples: readonly string[]): ValueType {
  return { kind: "regex", name, re, samples };
}

/** systemd unit names (and PIDs, which systemctl status also takes). */
export const UNIT = regex("UNIT", /^[A-Za-z0-9][A-Za-z0-9:_.@-]*$/, ["nginx", "ssh.service", "cron.service"]);
/** Unit patterns for list-units and friends: a unit name with glob characters. */
export const UNIT_PATTERN = regex("PATTERN", /^[A-Za-z0-9*?[][A-Za-z0-9:_.@*?[\]-]*$/, ["ssh*", "*.timer"]);
/** journalctl --since/--until and date -d: no quotes, no "=", no "/", so no TZ="/file". */
export const TIME_WORDS = regex("TIME", /^[0-9A-Za-z][0-9A-Za-z :.+-]*$/, [
  "yesterday",
  "today",
  "2024-01-01 00:00:00",
  "1 hour ago",
]);
export const USER = regex("USER", /^[A-Za-z0-9_][A-Za-z0-9_.-]*\$?$/, ["root", "nobody"]);
export const USER_LIST = regex("USER", /^[A-Za-z0-9_][A-Za-z0-9_.-]*(,[A-Za-z0-9_][A-Za-z0-9_.-]*)*$/, [
  "root",
  "root,nobody",
]);
export const PID_LIST = regex("PID", /^[0-9]{1,10}(,[0-9]{1,10})*$/, ["1", "1,2"]);
export const IFACE = regex("IFACE", /^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,15}$/, ["lo"]);
/** ps -o and --sort: known columns only (no "environ", no free "=HEADER" text). */
const PS_COLUMNS = [
  "pid",
  "ppid",
  "pgid",
  "sid",
  "user",
  "euser",
  "ruser",
  "uid",
  "gid",
  "group",
  "comm",
  "args",
]
  .concat(["cmd", "%cpu", "%mem", "pcpu", "pmem", "rss", "vsz", "sz", "stat", "state", "s", "start", "stime"])
  .concat([
    "lstart",
    "time",
    "etime",
    "etimes",
    "tty",
    "nice",
    "ni",
    "pri",
    "psr",
    "wchan",
    "nlwp",
    "thcount",
  ]);
export const PS_FORMAT: ValueType = { kind: "enum", values: PS_COLUMNS, list: true };
export const PS_SORT = regex(
  "KEY",
  new RegExp(`^[+-]?(${PS_COLUMNS.join("|")})(,[+-]?(${PS_COLUMNS.join("|")}))*$`),
  ["-%cpu", "pid", "-rss"],
);
export const LSBLK_COLUMNS = regex("LIST", /^\+?[A-Za-z][A-Za-z:%-]*(,[A-Za-z][A-Za-z:%-]*)*$/, [
  "NAME,SIZE,TYPE",
  "+FSTYPE",
]);
export const PROPERTY_LIST = regex("NAME", /^[A-Za-z][A-Za-z0-9]*(,[A-Za-z][A-Za-z0-9]*)*$/, [
  "ActiveState",
  "MainPID,ActiveState",
]);
/** date's +FORMAT: strftime text. */
export const DATE_FORMAT = regex("+FORMAT", /^\+/, ["+%F", "+%s", "+%Y-%m-%d %H:%M"]);
/** Free text: grep/find patterns, globs, echo words, stat formats. Never read as a file name. */
export const PATTERN = { kind: "text", name: "PATTERN", samples: ["error", "a.b", "^root"] } as const;
export const GLOB = { kind: "text", name: "GLOB", samples: ["*.log", "*.conf", "a?c"] } as const;
export const TEXT = { kind: "text", name: "TEXT", samples: ["hello", "a b", "x=1"] } as const;
export const STAT_FORMAT = { kind: "text", name: "FORMAT", samples: ["%n %s", "%a %U"] } as const;

export function typeName(type: ValueType): string {
  switch (type.kind) {
    case "int":
      return "N";
    case "enum":
      return type.values.join("|");
    case "regex":
    case "text":
      return type.name;
    case "literal":
      return type.word;
    case "path":
      return type.of === "dir" ? "DIR" : type.of === "file" ? "FILE" : "PATH";
  }
}

/**
 * Why `word` does not have `type`, or undefined when it does. `free` is true after "--"
 * (a path may then start with "-"); an option value is never free to start with "-" when
 * it is a path.
 */
export function valueProblem(type: ValueType, word: string, free: boolean): string | undefined {
  if (word === "") return "an empty word is not accepted";
  switch (type.kind) {
    case "int": {
      const m = /^([+-]?)([0-9]{1,12})$/.exec(word);
      if (!m || (m[1] === "+" && !type.plus)) return `"${word}" is not a whole number`;
      const n = Number((m[1] === "-" ? "-" : "") + (m[2] ?? ""));
      if (n < type.min || n > type.max) return `${word} is outside ${type.min}..${type.max}`;
      return undefined;
    }
    case "enum": {
      const parts = type.list ? word.split(",") : [word];
      const norm = (s: string): string => (type.caseless ? s.toLowerCase() : s);
      const ok = parts.every((p) => type.values.some((v) => norm(v) === norm(p)));
      return ok ? undefined : `"${word}" is not one of ${type.values.join(", ")}`;
    }
    case "regex":
      return type.re.test(word) ? undefined : `"${word}" is not a ${type.name}`;
    case "text":
      return undefined;
    case "literal":
      return word === type.word ? undefined : `expected "${type.word}"`;
    case "path":
      return pathProblem(word, free);
  }
}

function pathProblem(word: string, free: boolean): string | undefined {
  // "-" is standard input for cat/head/grep even after "--"; an open stdin never ends.
  if (word === "-") return `"-" (standard input) is not a path`;
  if (word.startsWith("-") && !free) return `a path may not start with "-" (put it after "--")`;
  // tail's obsolete "+5f FILE" syntax follows forever; BSD tail rewrites "+N" too.
  if (word.startsWith("+")) return `a path may not start with "+" (write ./${word})`;
  return undefined;
}
