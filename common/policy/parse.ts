/**
 * One getopt-style parse of argv with a program's own option table. Options are found by
 * exact spelling only (getopt_long would expand "--dia" to "--diag"; we refuse it), short
 * clusters are split, a value-taking short option takes the rest of its cluster or the next
 * word, and after "--" every word is a positional. Because the table gives each option the
 * arity the real program gives it, this parse agrees with the program's whenever it succeeds.
 */
import type { GetoptProgram, OptionSpec } from "./grammar";
import { valueProblem } from "./values";

export interface ParsedOption {
  /** Canonical name (the first spelling in the table). */
  id: string;
  spec: OptionSpec;
  /** The spelling given, for messages. */
  given: string;
  value?: string;
  /** argv index of the value and the text before it in that word ("--file=", "-f", ""). */
  valueIndex?: number;
  valuePrefix?: string;
}

export interface ParsedWord {
  index: number;
  value: string;
  /** After "--": may start with "-". */
  free: boolean;
}

export interface ParsedArgv {
  options: ParsedOption[];
  positionals: ParsedWord[];
}

export type ParseResult = { ok: true; parsed: ParsedArgv } | { ok: false; reason: string };

export function optionList(program: GetoptProgram, ids?: readonly string[]): string {
  const names = program.options.map((o) => o.names[0] ?? "").filter((n) => !ids || ids.includes(n));
  return names.length === 0 ? "no options" : names.join(" ");
}

function unknown(program: GetoptProgram, shown: string, ids?: readonly string[]): ParseResult {
  return {
    ok: false,
    reason: `${program.name} ${shown} is not an option ${program.name} accepts here; allowed: ${optionList(program, ids)}`,
  };
}

function lookup(program: GetoptProgram, word: string): OptionSpec | undefined {
  const norm = (s: string): string => (program.caseless ? s.toLowerCase() : s);
  return program.options.find((o) => o.names.some((n) => norm(n) === norm(word)));
}

/** Whether `word` starts an option in this program's style. */
function isOptionWord(program: GetoptProgram, word: string): boolean {
  if (program.caseless) return word.length > 1 && (word.startsWith("/") || word.startsWith("-"));
  return word.length > 1 && word.startsWith("-");
}

export function parseArgv(program: GetoptProgram, argv: readonly string[]): ParseResult {
  const options: ParsedOption[] = [];
  const positionals: ParsedWord[] = [];
  let free = false;
  let i = 1;

  /** Record `spec` given as `given`; `attached` is text after it in the same word, if any. */
  const take = (
    spec: OptionSpec,
    given: string,
    attached: string | undefined,
    prefix: string,
  ): string | undefined => {
    const id = spec.names[0] ?? given;
    if (!spec.value) {
      if (attached !== undefined) return `${program.name} ${given} takes no value`;
      options.push({ id, spec, given });
      return undefined;
    }
    if (attached !== undefined) {
      const problem = valueProblem(spec.value, attached, false);
      if (problem) return `${program.name} ${given}: ${problem}`;
      options.push({ id, spec, given, value: attached, valueIndex: i, valuePrefix: prefix });
      return undefined;
    }
    const next = argv[i + 1];
    if (spec.optional === "attached" || (spec.optional === "greedy" && next === undefined)) {
      options.push({ id, spec, given });
      return undefined;
    }
    if (spec.optional === "greedy" && next !== undefined && valueProblem(spec.value, next, false)) {
      options.push({ id, spec, given });
      return undefined;
    }
    if (next === undefined) return `${program.name} ${given} needs a value (${spec.placeholder ?? "VALUE"})`;
    const problem = valueProblem(spec.value, next, false);
    if (problem) return `${program.name} ${given}: ${problem}`;
    i += 1;
    options.push({ id, spec, given, value: next, valueIndex: i, valuePrefix: "" });
    return undefined;
  };

  for (; i < argv.length; i += 1) {
    const word = argv[i] ?? "";
    const optionsEnded = free || (program.style !== "gnu" && positionals.length > 0);
    if (optionsEnded || !isOptionWord(program, word)) {
      positionals.push({ index: i, value: word, free });
      continue;
    }
    if (word === "--" && program.dashDash && program.style !== "words") {
      free = true;
      continue;
    }
    if (program.style === "words") {
      const spec = lookup(program, word);
      if (!spec) return unknown(program, word);
      const err = take(spec, word, undefined, "");
      if (err) return { ok: false, reason: err };
      continue;
    }
    if (word.startsWith("--")) {
      const eq = word.indexOf("=");
      const name = eq < 0 ? word : word.slice(0, eq);
      const spec = lookup(program, name);
      if (!spec || name === "--") return unknown(program, name);
      const err = take(
        spec,
        name,
        eq < 0 ? undefined : word.slice(eq + 1),
        eq < 0 ? "" : word.slice(0, eq + 1),
      );
      if (err) return { ok: false, reason: err };
      continue;
    }
    // A cluster of short options: "-tulpn", "-n5", "-la".
    for (let j = 1; j < word.length; j += 1) {
      const short = `-${word[j] ?? ""}`;
      const spec = lookup(program, short);
      if (!spec) return unknown(program, word.length > 2 ? `${short} (in "${word}")` : short);
      const rest = word.slice(j + 1);
      if (!spec.value) {
        const err = take(spec, short, undefined, "");
        if (err) return { ok: false, reason: err };
        continue;
      }
      const err = take(spec, short, rest === "" ? undefined : rest, word.slice(0, j + 1));
      if (err) return { ok: false, reason: err };
      break;
    }
  }
  return { ok: true, parsed: { options, positionals } };
}
