/**
 * A small `--name value` / `--switch` parser for the CLI's subcommands. Each command
 * declares its flags, so a typo is an error naming the flag rather than a silent default.
 */
export interface FlagSpec {
  /** Flags that take a value; the ones listed in `repeatable` may appear more than once. */
  values: readonly string[];
  repeatable?: readonly string[];
  switches?: readonly string[];
}

export interface ParsedFlags {
  values: ReadonlyMap<string, readonly string[]>;
  switches: ReadonlySet<string>;
}

export class FlagError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "FlagError";
  }
}

export function parseFlags(argv: readonly string[], spec: FlagSpec): ParsedFlags {
  const values = new Map<string, string[]>();
  const switches = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith("--")) throw new FlagError(`unexpected argument "${arg}"`);
    const eq = arg.indexOf("=");
    const name = arg.slice(2, eq >= 0 ? eq : undefined);
    if (spec.switches?.includes(name)) {
      if (eq >= 0) throw new FlagError(`--${name} takes no value`);
      switches.add(name);
      continue;
    }
    if (!spec.values.includes(name)) throw new FlagError(`unknown flag --${name}`);
    const value = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined || (eq < 0 && value.startsWith("--")))
      throw new FlagError(`--${name} needs a value`);
    const list = values.get(name) ?? [];
    if (list.length > 0 && !spec.repeatable?.includes(name))
      throw new FlagError(`--${name} was given more than once`);
    list.push(value);
    values.set(name, list);
  }
  return { values, switches };
}

/** The single value of a flag, if given. */
export function flagValue(flags: ParsedFlags, name: string): string | undefined {
  return flags.values.get(name)?.[0];
}
