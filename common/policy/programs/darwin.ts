/**
 * macOS (BSD) userland: a smaller set. BSD getopt has no long options and stops at the
 * first operand, so options must come first; a dash word after an operand is a path.
 */
import { allOptionNames, flag, int, opt, pos, PATH_ANY, PATH_FILE } from "../grammar";
import type { FormSpec, GetoptProgram, OptionSpec, PositionalSpec } from "../grammar";
import { DATE_FORMAT, USER } from "../values";

function bsd(
  name: string,
  options: OptionSpec[],
  reason: string,
  operand?: PositionalSpec,
  cwd = false,
): GetoptProgram {
  const form: FormSpec = {
    callClass: "read",
    verb: [],
    options: allOptionNames(options),
    positionals: operand ? [operand] : [],
    cwdWhenNoPath: cwd,
    reason,
  };
  return { kind: "getopt", name, style: "posix", dashDash: true, options, forms: [form] };
}

const COUNT = int(-1_000_000_000, 1_000_000_000, true);
const lsFlags = ["-l", "-a", "-h", "-R", "-t", "-r", "-S", "-1", "-d"].map((n) => flag(n));

export const DARWIN_PROGRAMS: readonly GetoptProgram[] = [
  bsd("ls", lsFlags, "ls only reads", pos("PATH", PATH_ANY), true),
  bsd("cat", [flag("-n")], "cat only reads", pos("PATH", PATH_FILE, 1)),
  bsd(
    "head",
    [opt(["-n"], int(0, 1_000_000_000), "N"), opt(["-c"], int(0, 1_000_000_000), "N")],
    "head only reads",
    pos("PATH", PATH_FILE, 1),
  ),
  // BSD tail without -f/-F/-r; "+N" only as the value of -n/-c.
  bsd(
    "tail",
    [opt(["-n"], COUNT, "N"), opt(["-c"], COUNT, "N")],
    "tail only reads",
    pos("PATH", PATH_FILE, 1),
  ),
  bsd(
    "wc",
    ["-l", "-w", "-c", "-m"].map((n) => flag(n)),
    "wc only reads",
    pos("PATH", PATH_FILE, 1),
  ),
  bsd(
    "du",
    [flag("-s"), flag("-h"), opt(["-d"], int(0, 1000), "N")],
    "du only reads",
    pos("PATH", PATH_ANY),
    true,
  ),
  bsd("df", [flag("-h")], "df only reads", pos("PATH", PATH_ANY)),
  bsd(
    "uname",
    ["-a", "-s", "-n", "-r", "-v", "-m", "-p"].map((n) => flag(n)),
    "uname only prints system information",
  ),
  bsd("uptime", [], "uptime only reads"),
  bsd("whoami", [], "whoami only prints the user's name"),
  bsd(
    "id",
    ["-u", "-g", "-G", "-n"].map((n) => flag(n)),
    "id only reads",
    pos("USER", USER, 0, 1),
  ),
  bsd("hostname", [flag("-s"), flag("-f")], "hostname only prints the host's name"),
  // date without -f (parse), -r (a file's time) or a new date as operand.
  bsd("date", [flag("-u")], "date only prints the time", pos("+FORMAT", DATE_FORMAT, 0, 1)),
  {
    kind: "getopt",
    name: "ps",
    style: "posix",
    dashDash: false,
    options: [],
    forms: [
      { callClass: "read", verb: ["aux"], options: [], positionals: [], reason: "ps only lists processes" },
    ],
  },
];
