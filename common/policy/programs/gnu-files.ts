/**
 * GNU coreutils that read files and directories. Options that write,
 * follow symlinks (-L, -R), read a file named in an option that is not path-typed
 * (--files0-from, --exclude-from, date -f) or never end (tail -f) are simply not listed.
 */
import { flag, int, oneOf, opt, optionalOpt, PATH_ANY } from "../grammar";
import type { GetoptProgram } from "../grammar";
import { GLOB, STAT_FORMAT } from "../values";
import { reader } from "./build";

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

export const GNU_FILE_PROGRAMS: readonly GetoptProgram[] = [ls, cat, head, tail, wc, du, df, stat];
