import { UserError } from "../../common/errors";
import type { ArgSpec, Command, ParsedArgs } from "./types";

/** Splits a command line into words; "double quotes" keep spaces together. */
export function tokenize(line: string): string[] {
  const words: string[] = [];
  const pattern = /"([^"]*)"|(\S+)/g;
  for (const match of line.matchAll(pattern)) words.push(match[1] ?? match[2] ?? "");
  return words;
}

/** Parses words after the command name against its spec; a mistake is a UserError with the usage line. */
export function parseArgs(
  command: Pick<Command, "name" | "usage" | "args">,
  words: readonly string[],
): ParsedArgs {
  const spec: ArgSpec = command.args;
  const fail = (what: string): never => {
    throw new UserError(`${what} — usage: ${command.usage}`);
  };
  const positionals: Record<string, string> = {};
  const flags: Record<string, string | true> = {};
  const rest: string[] = [];
  const restAt = spec.positionals[spec.positionals.length - 1]?.rest ? spec.positionals.length - 1 : -1;
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    if (restAt >= 0 && rest.length >= restAt && (rest.length > restAt || !word.startsWith("--"))) {
      rest.push(word);
      continue;
    }
    if (!word.startsWith("--")) {
      rest.push(word);
      continue;
    }
    const [rawName, inlineValue] = word.slice(2).split("=", 2) as [string, string | undefined];
    const flag = spec.flags[rawName];
    if (!flag) fail(`!${command.name} has no option --${rawName}`);
    if (rawName in flags) fail(`--${rawName} is given twice`);
    if (!flag!.takesValue) {
      if (inlineValue !== undefined) fail(`--${rawName} takes no value`);
      flags[rawName] = true;
      continue;
    }
    const value = inlineValue ?? words[++i];
    if (value === undefined || value.startsWith("--")) fail(`--${rawName} needs a value`);
    if (flag!.choices && !flag!.choices.includes(value!)) {
      fail(`--${rawName} must be one of ${flag!.choices.join(", ")} (not "${value}")`);
    }
    flags[rawName] = value!;
  }
  if (restAt >= 0 && rest.length > restAt)
    rest.splice(restAt, rest.length - restAt, rest.slice(restAt).join(" "));
  if (rest.length > spec.positionals.length) {
    fail(`too many arguments for !${command.name}`);
  }
  spec.positionals.forEach((positional, index) => {
    const value = rest[index];
    if (value === undefined) {
      if (positional.required) fail(`!${command.name} needs <${positional.name}>`);
      return;
    }
    positionals[positional.name] = value;
  });
  for (const [name, flag] of Object.entries(spec.flags)) {
    if (flag.required && !(name in flags)) fail(`!${command.name} needs --${name}`);
  }
  return { positionals, flags };
}
