/** Constructors for the common shapes of program: one read form taking every listed option. */
import { allOptionNames, pos, PATH_FILE } from "../grammar";
import type { GetoptProgram, OptionSpec, PositionalSpec, ValueType } from "../grammar";

/** A program with one read form that takes every option it lists, then PATHs. */
export function reader(
  name: string,
  options: OptionSpec[],
  path: { min: number; type?: ValueType; cwd?: boolean },
): GetoptProgram {
  const program = simple(name, options, `${name} only reads`, pos("PATH", path.type ?? PATH_FILE, path.min));
  return { ...program, forms: program.forms.map((form) => ({ ...form, cwdWhenNoPath: path.cwd === true })) };
}

/** A program with one read form, every listed option, and optionally one typed operand. */
export function simple(
  name: string,
  options: OptionSpec[],
  reason: string,
  operand?: PositionalSpec,
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
