/**
 * GNU coreutils and grep: programs that read files and directories. Options that write,
 * follow symlinks (-L, -R), read a file named in an option that is not path-typed
 * (--files0-from, --exclude-from, date -f) or never end (tail -f) are simply not listed.
 */
import { allOptionNames, flag, int, oneOf, opt, optionalOpt, pos, PATH_ANY, PATH_FILE } from "../grammar";
import type { GetoptProgram, OptionSpec, ValueType } from "../grammar";
import { DATE_FORMAT, GLOB, PATTERN, STAT_FORMAT, TEXT, TIME_WORDS } from "../values";

/** A program with one read form that takes every option it lists. */
function reader(
  name: string,
  options: OptionSpec[],
  path: { min: number; type?: ValueType; cwd?: boolean },
): GetoptProgram {
  const type = path.type ?? PATH_FILE;
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
        positionals: [pos("PATH", type, path.min)],
        cwdWhenNoPath: path.cwd === true,
        reason: `${name} only reads`,
      },
    ],
  };
}

const COUNT = int(-1_000_000_000, 1_000_000_000);

export const ls = reader(
  "ls",
  [
    flag("-l"),
    flag("-a", "--all"),
    flag("-A", "--almost-all"),
    flag("-h", "--human-readable"),
    flag("-R", "--recursive"),
    flag("-t"),
    flag("-r", "--reverse"),
    flag("-S"),
    flag("-1"),
    flag("-d", "--directory"),
    flag("-i", "--inode"),
    flag("-s", "--size"),
    flag("-F"),
    flag("-n", "--numeric-uid-gid"),
    flag("-p"),
    flag("-X"),
    flag("-U"),
    flag("-c"),
    flag("-u"),
    flag("-g"),
    flag("-o"),
    flag("-G", "--no-group"),
    flag("-v"),
    flag("-x"),
    flag("-m"),
    flag("-N", "--literal"),
    flag("--full-time"),
    flag("--group-directories-first"),
    opt(["-I", "--ignore"], GLOB, "GLOB"),
    opt(["--hide"], GLOB, "GLOB"),
    opt(["--sort"], oneOf(["none", "size", "time", "version", "extension", "width"]), "WORD"),
    opt(["--time-style"], oneOf(["full-iso", "long-iso", "iso", "locale"]), "STYLE"),
    optionalOpt(["--color"], oneOf(["never", "always", "auto"]), "WHEN", "attached"),
  ],
  { min: 0, type: PATH_ANY, cwd: true },
);

export const cat = reader(
  "cat",
  [
    flag("-n", "--number"),
    flag("-b", "--number-nonblank"),
    flag("-A", "--show-all"),
    flag("-E", "--show-ends"),
    flag("-T", "--show-tabs"),
    flag("-v", "--show-nonprinting"),
    flag("-s", "--squeeze-blank"),
    flag("-e"),
    flag("-t"),
  ],
  { min: 1 },
);

export const head = reader(
  "head",
  [
    opt(["-n", "--lines"], COUNT, "N"),
    opt(["-c", "--bytes"], COUNT, "N"),
    flag("-q", "--quiet", "--silent"),
    flag("-v", "--verbose"),
    flag("-z", "--zero-terminated"),
  ],
  { min: 1 },
);

export const tail = reader(
  "tail",
  [
    opt(["-n", "--lines"], int(-1_000_000_000, 1_000_000_000, true), "N"),
    opt(["-c", "--bytes"], int(-1_000_000_000, 1_000_000_000, true), "N"),
    flag("-q", "--quiet", "--silent"),
    flag("-v", "--verbose"),
    flag("-z", "--zero-terminated"),
  ],
  { min: 1 },
);

export const wc = reader(
  "wc",
  [
    flag("-l", "--lines"),
    flag("-w", "--words"),
    flag("-c", "--bytes"),
    flag("-m", "--chars"),
    flag("-L", "--max-line-length"),
  ],
  { min: 1 },
);

export const du = reader(
  "du",
  [
    flag("-s", "--summarize"),
    flag("-h", "--human-readable"),
    flag("-a", "--all"),
    flag("-c", "--total"),
    flag("-k"),
    flag("-m"),
    flag("-b", "--bytes"),
    flag("-x", "--one-file-system"),
    flag("-S", "--separate-dirs"),
    flag("--apparent-size"),
    flag("--si"),
    opt(["-d", "--max-depth"], int(0, 1000), "N"),
    opt(["--exclude"], GLOB, "GLOB"),
  ],
  { min: 0, type: PATH_ANY, cwd: true },
);

export const df = reader(
  "df",
  [
    flag("-h", "--human-readable"),
    flag("-T", "--print-type"),
    flag("-i", "--inodes"),
    flag("-l", "--local"),
    flag("-P", "--portability"),
    flag("-a", "--all"),
    flag("-k"),
    flag("--total"),
  ],
  { min: 0, type: PATH_ANY },
);

export const stat = reader(
  "stat",
  [
    opt(["-c", "--format"], STAT_FORMAT, "FORMAT"),
    opt(["--printf"], STAT_FORMAT, "FORMAT"),
    flag("-f", "--file-system"),
    flag("-t", "--terse"),
  ],
  { min: 1, type: PATH_ANY },
);

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

export const GNU_FILE_PROGRAMS: readonly GetoptProgram[] = [
  ls,
  cat,
  head,
  tail,
  wc,
  du,
  df,
  stat,
  grep,
  echo,
  date,
];
