/**
 * systemd: systemctl's read verbs and start/stop/restart/reload (class change), and
 * journalctl reading the journal. No --host/--machine, no pager flags, no journal writes.
 */
import { flag, int, oneOf, opt, optionalOpt, pos } from "../grammar";
import type { FormSpec, GetoptProgram, OptionSpec } from "../grammar";
import { PATTERN, PROPERTY_LIST, TIME_WORDS, UNIT, UNIT_PATTERN } from "../values";
import { simple } from "./build";

const UNIT_TYPES = ["service", "socket", "timer", "mount", "automount", "target", "path", "slice", "scope"];
const UNIT_STATES = ["running", "failed", "active", "inactive", "exited", "dead", "enabled", "disabled"];
const systemctlOptions: OptionSpec[] = [
  flag("--no-pager"),
  flag("-a", "--all"),
  flag("-l", "--full"),
  opt(["-t", "--type"], oneOf([...UNIT_TYPES, "device", "swap"], true), "TYPE"),
  opt(
    ["--state"],
    oneOf([...UNIT_STATES, "static", "masked", "loaded", "not-found", "waiting", "listening"], true),
    "STATE",
  ),
  flag("--plain"),
  flag("--no-legend"),
  flag("--user"),
  flag("--no-block"),
  opt(["-n", "--lines"], int(0, 10_000), "N"),
  opt(["-p", "--property"], PROPERTY_LIST, "NAME"),
];
const READ_OPTS = ["--no-pager", "-a", "-l", "-t", "--state", "--plain", "--no-legend", "--user", "-n"];

function verbForm(verb: string, min: number, type = UNIT, extra: string[] = []): FormSpec {
  const name = type === UNIT ? "UNIT" : "PATTERN";
  return {
    callClass: "read",
    verb: [verb],
    options: [...READ_OPTS, ...extra],
    positionals: [pos(name, type, min)],
    reason: `systemctl ${verb} only reads`,
  };
}

function changeForm(verb: string): FormSpec {
  return {
    callClass: "change",
    verb: [verb],
    options: ["--no-pager", "--user", "--no-block"],
    positionals: [pos("UNIT", UNIT, 1)],
    reason: `systemctl ${verb} changes a service's state`,
  };
}

/** systemctl: -p/--property only with show; the verb is the first operand after the options are parsed. */
export const systemctl: GetoptProgram = {
  kind: "getopt",
  name: "systemctl",
  style: "gnu",
  dashDash: true,
  options: systemctlOptions,
  synopsis:
    "systemctl [--no-pager -a -l -t TYPE --state=STATE --plain --no-legend --user -n N] status|is-active|is-enabled|is-failed|show [-p NAME]|list-units|list-unit-files|list-timers [UNIT…]; systemctl start|stop|restart|reload UNIT… (changes state)",
  forms: [
    verbForm("status", 0),
    verbForm("is-active", 1),
    verbForm("is-enabled", 1),
    verbForm("is-failed", 1),
    verbForm("show", 0, UNIT, ["-p"]),
    verbForm("list-units", 0, UNIT_PATTERN),
    verbForm("list-unit-files", 0, UNIT_PATTERN),
    verbForm("list-timers", 0, UNIT_PATTERN),
    changeForm("start"),
    changeForm("stop"),
    changeForm("restart"),
    changeForm("reload"),
  ],
};

const PRIORITY = "(emerg|alert|crit|err|warning|notice|info|debug|[0-7])";
const journalOptions: OptionSpec[] = [
  opt(["-u", "--unit"], UNIT_PATTERN, "UNIT"),
  // journalctl reads the next word as the value of -n/-b when it parses as one.
  optionalOpt(["-n", "--lines"], int(0, 100_000), "N", "greedy"),
  optionalOpt(
    ["-b", "--boot"],
    { kind: "regex", name: "BOOT", re: /^(-?[0-9]{1,4}|[0-9a-f]{32})$/, samples: ["0", "-1"] },
    "BOOT",
    "greedy",
  ),
  opt(["-S", "--since"], TIME_WORDS, "TIME"),
  opt(["-U", "--until"], TIME_WORDS, "TIME"),
  opt(
    ["-p", "--priority"],
    {
      kind: "regex",
      name: "PRIORITY",
      re: new RegExp(`^${PRIORITY}(\\.\\.${PRIORITY})?$`),
      samples: ["err", "0..4"],
    },
    "PRIORITY",
  ),
  opt(
    ["-t", "--identifier"],
    { kind: "regex", name: "ID", re: /^[A-Za-z0-9_][A-Za-z0-9_.@-]*$/, samples: ["sshd"] },
    "ID",
  ),
  opt(["-g", "--grep"], PATTERN, "PATTERN"),
  opt(
    ["-o", "--output"],
    oneOf(["short", "short-iso", "short-precise", "json", "json-pretty", "cat", "verbose"]),
    "FORMAT",
  ),
  flag("-k", "--dmesg"),
  flag("-r", "--reverse"),
  flag("-q", "--quiet"),
  flag("-x", "--catalog"),
  flag("--no-pager"),
  flag("--no-hostname"),
  flag("--utc"),
];

/** journalctl without --file/-D/--directory/--root, --vacuum*, --rotate, --flush, --sync, -f. */
export const journalctl = simple("journalctl", journalOptions, "journalctl only reads the journal");

export const SYSTEMD_PROGRAMS: readonly GetoptProgram[] = [systemctl, journalctl];
