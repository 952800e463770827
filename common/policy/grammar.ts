/**
 * The shape of a program's grammar. A program's options are declared once, with the arity
 * the real program gives them (so one parse of argv agrees with the program's own), and
 * each form names which of those options it accepts, its literal verb words and its typed
 * positionals. Nothing here executes; the tables live in programs/.
 */
import type { ArgvVerdict, CallClass } from "./types";

/** The type of an option value or a positional word. */
export type ValueType =
  | { kind: "int"; min: number; max: number; plus?: boolean }
  | { kind: "enum"; values: readonly string[]; list?: boolean; caseless?: boolean }
  | { kind: "regex"; name: string; re: RegExp; samples: readonly string[] }
  | { kind: "text"; name: string; samples: readonly string[] }
  | { kind: "literal"; word: string }
  | { kind: "path"; of: "file" | "dir" | "any" };

export interface OptionSpec {
  /** Every spelling, canonical first: ["-n", "--lines"]. Only these exact words are accepted. */
  names: readonly string[];
  /** Absent: a flag (given "=V", it is refused). */
  value?: ValueType;
  /**
   * How an optional value is given: "attached" only as -nV / --opt=V (getopt's optional_argument);
   * "greedy" also as the next word when it has the value's type (journalctl -n 50, -b -1).
   */
  optional?: "attached" | "greedy";
  /** Shown in synopses: "-n N". */
  placeholder?: string;
}

export interface PositionalSpec {
  name: string;
  type: ValueType;
  min: number;
  max: number;
  /** Options (canonical names) that make this positional optional (grep's PATH with -r). */
  optionalWith?: readonly string[];
}

export interface FormSpec {
  callClass: CallClass;
  /** Literal words the positionals start with ("status", "addr show dev"). */
  verb: readonly string[];
  /** Canonical names of the options this form accepts. */
  options: readonly string[];
  positionals: readonly PositionalSpec[];
  /** The form works on the cwd when no path positional is given (ls, du, grep -r). */
  cwdWhenNoPath?: boolean;
  /** Form applies only when one of these options is present / none of these is present. */
  requiresAnyOf?: readonly string[];
  excludes?: readonly string[];
  /** One sentence for the approval card: "ls only reads". */
  reason: string;
}

export interface GetoptProgram {
  kind: "getopt";
  name: string;
  /**
   * gnu: getopt_long with permutation (options anywhere before "--");
   * posix: BSD getopt, options end at the first operand;
   * words: each option is a whole word (ip, Windows); options end at the first operand.
   */
  style: "gnu" | "posix" | "words";
  /** Whether "--" ends the options (GNU echo and ps print or reject it). */
  dashDash: boolean;
  /** Option words and program names compare without case (Windows). */
  caseless?: boolean;
  options: readonly OptionSpec[];
  forms: readonly FormSpec[];
  /** One line for prompts when the generated one would be too long. */
  synopsis?: string;
}

/** A program whose argv is not getopt-shaped (find's expression). */
export interface CustomProgram {
  kind: "custom";
  name: string;
  synopsis: string;
  forms: ReadonlyArray<{ form: string; callClass: CallClass }>;
  check(argv: readonly string[]): ArgvVerdict;
  sample(rng: () => number, paths: { dir: string; file: string }): string[];
}

export type ProgramSpec = GetoptProgram | CustomProgram;

// Small constructors keep the tables readable.

export function flag(...names: string[]): OptionSpec {
  return { names };
}

export function opt(names: readonly string[], value: ValueType, placeholder: string): OptionSpec {
  return { names, value, placeholder };
}

export function optionalOpt(
  names: readonly string[],
  value: ValueType,
  placeholder: string,
  optional: "attached" | "greedy",
): OptionSpec {
  return { names, value, placeholder, optional };
}

export function int(min: number, max: number, plus = false): ValueType {
  return { kind: "int", min, max, plus };
}

export function oneOf(values: readonly string[], list = false): ValueType {
  return { kind: "enum", values, list };
}

export function pos(name: string, type: ValueType, min = 0, max = Infinity): PositionalSpec {
  return { name, type, min, max };
}

export const PATH_ANY: ValueType = { kind: "path", of: "any" };
export const PATH_FILE: ValueType = { kind: "path", of: "file" };
export const PATH_DIR: ValueType = { kind: "path", of: "dir" };

/** Canonical names of every option of a program: handy for forms that take them all. */
export function allOptionNames(options: readonly OptionSpec[]): string[] {
  return options.map((o) => o.names[0] ?? "");
}
