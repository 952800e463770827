/**
 * GNU/Linux system-state programs: identity, processes, services, logs, network. Each lists
 * only the options proven read-only, with the arity the real program gives them.
 */
import { allOptionNames, flag, int, oneOf, opt, optionalOpt, pos } from "../grammar";
import type { FormSpec, GetoptProgram, OptionSpec } from "../grammar";
import { IFACE, PATTERN, PID_LIST, PROPERTY_LIST, PS_FORMAT, PS_SORT, TIME_WORDS } from "../values";
import { UNIT, UNIT_PATTERN, USER, USER_LIST } from "../values";

/** A program with one read form, every listed option, and optionally one typed operand. */
function simple(
  name: string,
  options: OptionSpec[],
  reason: string,
  operand?: ReturnType<typeof pos>,
): GetoptProgram {
  return {
    kind: "getopt",
    name,
    style: "gnu",
    dashDash: true,
    options,
    forms: [
      {
        callClass: "read",
        verb: [],
        options: allOptionNames(options),
        positionals: operand ? [operand] : [],
        reason,
      },
    ],
  };
}

/** hostname without an operand (that would set it) and without -F/--file. */
export const hostname = simple(
  "hostname",
  [
    flag("-f", "--fqdn"),
    flag("-s", "--short"),
    flag("-d", "--domain"),
    flag("-i", "--ip-address"),
    flag("-I", "--all-ip-addresses"),
    flag("-A", "--all-fqdns"),
  ],
  "hostname only prints the host's name",
);

export const uname = simple(
  "uname",
  [
    flag("-a", "--all"),
    flag("-s", "--kernel-name"),
    flag("-n", "--nodename"),
    flag("-r", "--kernel-release"),
    flag("-v", "--kernel-version"),
    flag("-m", "--machine"),
    flag("-o", "--operating-system"),
    flag("-p", "--processor"),
    flag("-i", "--hardware-platform"),
  ],
  "uname only prints system information",
);

export const uptime = simple("uptime", [flag("-p", "--pretty"), flag("-s", "--since")], "uptime only reads");

/** free without -s/-c (repeat forever). */
export const free = simple(
  "free",
  [
    flag("-h", "--human"),
    flag("-b", "--bytes"),
    flag("-k", "--kibi"),
    flag("-m", "--mebi"),
    flag("-g", "--gibi"),
    flag("-t", "--total"),
    flag("-w", "--wide"),
  ],
  "free only reads",
);

export const whoami = simple("whoami", [], "whoami only prints the user's name");

export const id = simple(
  "id",
  [
    flag("-u", "--user"),
    flag("-g", "--group"),
    flag("-G", "--groups"),
    flag("-n", "--name"),
    flag("-r", "--real"),
  ],
  "id only reads",
  pos("USER", USER, 0, 1),
);

const psOptions: OptionSpec[] = [
  flag("-e"),
  flag("-f"),
  flag("-F"),
  flag("-l"),
  opt(["-o"], PS_FORMAT, "FORMAT"),
  opt(["-p"], PID_LIST, "PID"),
  opt(["-u"], USER_LIST, "USER"),
  opt(["--sort"], PS_SORT, "KEY"),
];

/** procps ps: the BSD word "aux" exactly (never "e", which prints environments), or Unix options. */
export const ps: GetoptProgram = {
  kind: "getopt",
  name: "ps",
  style: "gnu",
  dashDash: false,
  options: psOptions,
  forms: [
    {
      callClass: "read",
      verb: ["aux"],
      options: ["--sort"],
      positionals: [],
      reason: "ps only lists processes",
    },
    {
      callClass: "read",
      verb: [],
      options: allOptionNames(psOptions),
      positionals: [],
      reason: "ps only lists processes",
    },
  ],
};

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

const ipOptions: OptionSpec[] = ["-4", "-6", "-br", "-s", "-d", "-j", "-o"].map((n) => flag(n));
const IP_OBJECTS = ["addr", "address", "link", "route", "neigh"];

/** ip: whole-word options before the object, then only "show [dev IFACE]". */
export const ip: GetoptProgram = {
  kind: "getopt",
  name: "ip",
  style: "words",
  dashDash: false,
  options: ipOptions,
  synopsis: "ip [-4 -6 -br -s -d -j -o] addr|address|link|route|neigh [show [dev IFACE]]",
  forms: IP_OBJECTS.flatMap((object) =>
    [[object], [object, "show"], [object, "show", "dev"]].map((verb): FormSpec => ({
      callClass: "read",
      verb,
      options: allOptionNames(ipOptions),
      positionals: verb.length === 3 ? [pos("IFACE", IFACE, 1, 1)] : [],
      reason: `ip ${object} only reads`,
    })),
  ),
};

const ssOptions: OptionSpec[] = [
  flag("-t", "--tcp"),
  flag("-u", "--udp"),
  flag("-v"),
  flag("-l", "--listening"),
  flag("-a", "--all"),
  flag("-p", "--processes"),
  flag("-n", "--numeric"),
  flag("-x", "--unix"),
  flag("-w", "--raw"),
  flag("-4", "--ipv4"),
  flag("-6", "--ipv6"),
  flag("-s", "--summary"),
  flag("-e", "--extended"),
  flag("-m", "--memory"),
  flag("-i", "--info"),
  flag("-H", "--no-header"),
  flag("-O", "--oneline"),
];

/** ss without -K/--kill, -D/--diag (writes a file), -F/--filter (reads one), -N (netns) or filters. */
export const ss = simple("ss", ssOptions, "ss only lists sockets");

export const GNU_SYSTEM_PROGRAMS: readonly GetoptProgram[] = [
  hostname,
  uname,
  uptime,
  free,
  whoami,
  id,
  ps,
  systemctl,
  journalctl,
  ip,
  ss,
];
