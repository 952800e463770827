/** GNU grep, echo and date: programs that print text; none reads a file named by a non-path option. */
import { allOptionNames, flag, int, oneOf, opt, optionalOpt, pos, PATH_ANY, PATH_FILE } from "../grammar";
import type { GetoptProgram, OptionSpec } from "../grammar";
import { DATE_FORMAT, GLOB, PATTERN, TEXT, TIME_WORDS } from "../values";

const grepOptions: OptionSpec[] = [
  flag("-i", "--ignore-case"),
  flag("-n", "--line-number"),
  flag("-l", "--files-with-matches"),
  flag("-L", "--files-without-match"),
  flag("-c", "--count"),
  flag("-v", "--invert-match"),
  flag("-w", "--word-regexp"),
  flag("-x", "--line-regexp"),
  flag("-r", "--recursive"),
  flag("-E", "--extended-regexp"),
  flag("-F", "--fixed-strings"),
  flag("-h", "--no-filename"),
  flag("-H", "--with-filename"),
  flag("-s", "--no-messages"),
  flag("-o", "--only-matching"),
  flag("-q", "--quiet", "--silent"),
  opt(["-m", "--max-count"], int(0, 1_000_000), "N"),
  opt(["-A", "--after-context"], int(0, 10_000), "N"),
  opt(["-B", "--before-context"], int(0, 10_000), "N"),
  opt(["-C", "--context"], int(0, 10_000), "N"),
  opt(["-e", "--regexp"], PATTERN, "PATTERN"),
  opt(["-f", "--file"], PATH_FILE, "FILE"),
  opt(["--include"], GLOB, "GLOB"),
  opt(["--exclude"], GLOB, "GLOB"),
  opt(["--exclude-dir"], GLOB, "GLOB"),
];
const grepPaths = { ...pos("PATH", PATH_ANY, 1), optionalWith: ["-r"] };
const PATTERN_GIVEN = ["-e", "-f"];

export const grep: GetoptProgram = {
  kind: "getopt",
  name: "grep",
  style: "gnu",
  dashDash: true,
  options: grepOptions,
  synopsis:
    "grep [-i -n -l -c -v -w -x -r -E -F -h -H -s -o -q -m N -A N -B N -C N -e PATTERN -f FILE --include=GLOB --exclude=GLOB --exclude-dir=GLOB] PATTERN PATH… (PATH optional with -r)",
  forms: [
    {
      callClass: "read",
      verb: [],
      options: allOptionNames(grepOptions),
      positionals: [pos("PATTERN", PATTERN, 1, 1), grepPaths],
      cwdWhenNoPath: true,
      excludes: PATTERN_GIVEN,
      reason: "grep only reads",
    },
    {
      callClass: "read",
      verb: [],
      options: allOptionNames(grepOptions),
      positionals: [grepPaths],
      cwdWhenNoPath: true,
      requiresAnyOf: PATTERN_GIVEN,
      reason: "grep only reads",
    },
  ],
};

/** GNU echo: options only at the start, and "--" is printed, not an end of options. */
export const echo: GetoptProgram = {
  kind: "getopt",
  name: "echo",
  style: "posix",
  dashDash: false,
  options: [flag("-n"), flag("-e"), flag("-E")],
  forms: [
    {
      callClass: "read",
      verb: [],
      options: ["-n", "-e", "-E"],
      positionals: [pos("TEXT", TEXT)],
      reason: "echo only prints its arguments",
    },
  ],
};

const dateOptions: OptionSpec[] = [
  flag("-u", "--utc", "--universal"),
  flag("-R", "--rfc-email"),
  optionalOpt(["-I", "--iso-8601"], oneOf(["date", "hours", "minutes", "seconds", "ns"]), "FMT", "attached"),
  opt(["--rfc-3339"], oneOf(["date", "seconds", "ns"]), "FMT"),
  opt(["-d", "--date"], TIME_WORDS, "STRING"),
];

/** date without -s/--set, -f/--file or -r/--reference; a positional is only +FORMAT (never a new date). */
export const date: GetoptProgram = {
  kind: "getopt",
  name: "date",
  style: "gnu",
  dashDash: true,
  options: dateOptions,
  forms: [
    {
      callClass: "read",
      verb: [],
      options: allOptionNames(dateOptions),
      positionals: [pos("+FORMAT", DATE_FORMAT, 0, 1)],
      reason: "date only prints the time",
    },
  ],
};

export const GNU_TEXT_PROGRAMS: readonly GetoptProgram[] = [grep, echo, date];
