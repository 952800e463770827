/**
 * GNU/Linux system-state programs: identity, processes, network. Each lists
 * only the options proven read-only, with the arity the real program gives them.
 */
import { allOptionNames, flag, opt, pos, PATH_ANY } from "../grammar";
import type { FormSpec, GetoptProgram, OptionSpec } from "../grammar";
import { IFACE, LSBLK_COLUMNS, PID_LIST, PS_FORMAT, PS_SORT, USER, USER_LIST } from "../values";
import { simple } from "./build";

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

/** lsblk lists block devices from sysfs; no --sysroot. A DEVICE operand is a path like /dev/sda. */
export const lsblk = simple(
  "lsblk",
  [
    flag("-a", "--all"),
    flag("-b", "--bytes"),
    flag("-d", "--nodeps"),
    flag("-f", "--fs"),
    flag("-l", "--list"),
    flag("-m", "--perms"),
    flag("-n", "--noheadings"),
    flag("-p", "--paths"),
    flag("-J", "--json"),
    flag("-t", "--topology"),
    flag("-S", "--scsi"),
    opt(["-o", "--output"], LSBLK_COLUMNS, "LIST"),
  ],
  "lsblk only lists block devices",
  pos("DEVICE", PATH_ANY),
);

export const GNU_SYSTEM_PROGRAMS: readonly GetoptProgram[] = [
  hostname,
  uname,
  uptime,
  free,
  whoami,
  id,
  ps,
  ip,
  ss,
  lsblk,
];
