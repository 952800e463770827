/**
 * Matching a parsed argv against a program's forms: the verb words, the options the form
 * accepts, and typed positionals. The first form that accepts the argv gives its class.
 */
import type { FormSpec, GetoptProgram } from "./grammar";
import { formText } from "./formtext";
import { optionList, parseArgv, type ParsedArgv, type ParsedWord } from "./parse";
import type { ArgvVerdict, PathWord } from "./types";
import { valueProblem } from "./values";

type Tried = { ok: true; verdict: ArgvVerdict } | { ok: false; reason: string };

function sameWord(program: GetoptProgram, a: string, b: string): boolean {
  return program.caseless ? a.toLowerCase() === b.toLowerCase() : a === b;
}

function verbMatches(program: GetoptProgram, form: FormSpec, words: readonly ParsedWord[]): boolean {
  return form.verb.every((v, k) => words[k] !== undefined && sameWord(program, words[k].value, v));
}

/** Assigns the words after the verb to the form's positionals, left to right: word indexes per positional. */
function assign(
  form: FormSpec,
  words: readonly ParsedWord[],
  present: ReadonlySet<string>,
): number[][] | string {
  const specs = form.positionals;
  const mins = specs.map((p) => (p.optionalWith?.some((o) => present.has(o)) ? 0 : p.min));
  const out: number[][] = [];
  let w = 0;
  specs.forEach((spec, s) => {
    const laterMin = mins.slice(s + 1).reduce((a, b) => a + b, 0);
    const mine: number[] = [];
    while (w < words.length && mine.length < spec.max && words.length - w > laterMin) mine.push(w++);
    out.push(mine);
  });
  const short = specs.findIndex((spec, s) => (out[s]?.length ?? 0) < (mins[s] ?? 0));
  if (short >= 0) return `needs ${specs[short]?.name ?? "an operand"}`;
  if (w < words.length) {
    const extra = words[w]?.value ?? "";
    return specs.length === 0 ? `takes no operands (got "${extra}")` : `does not take "${extra}" here`;
  }
  return out;
}

function tryForm(program: GetoptProgram, form: FormSpec, parsed: ParsedArgv): Tried {
  const shown = [program.name, ...form.verb].join(" ");
  for (const o of parsed.options) {
    if (!form.options.includes(o.id)) {
      const allowed = optionList(program, form.options);
      return { ok: false, reason: `${shown} does not accept ${o.given}; allowed: ${allowed}` };
    }
  }
  const present = new Set(parsed.options.map((o) => o.id));
  const words = parsed.positionals.slice(form.verb.length);
  const slots = assign(form, words, present);
  if (typeof slots === "string")
    return { ok: false, reason: `${shown} ${slots} (${formText(program, form)})` };
  const paths: PathWord[] = [];
  let positionalPaths = 0;
  for (const o of parsed.options) {
    if (o.spec.value?.kind === "path" && o.value !== undefined && o.valueIndex !== undefined) {
      paths.push({ index: o.valueIndex, value: o.value, prefix: o.valuePrefix ?? "", access: "read" });
    }
  }
  for (const [s, spec] of form.positionals.entries()) {
    for (const k of slots[s] ?? []) {
      const word = words[k];
      if (!word) continue;
      const problem = valueProblem(spec.type, word.value, word.free);
      if (problem) return { ok: false, reason: `${shown} ${spec.name}: ${problem}` };
      if (spec.type.kind === "path") {
        paths.push({ index: word.index, value: word.value, prefix: "", access: "read" });
        positionalPaths += 1;
      }
    }
  }
  paths.sort((a, b) => a.index - b.index);
  const usesCwd = form.cwdWhenNoPath === true && positionalPaths === 0;
  return {
    ok: true,
    verdict: {
      ok: true,
      callClass: form.callClass,
      form: formText(program, form),
      paths,
      usesCwd,
      reason: form.reason,
    },
  };
}

function applies(form: FormSpec, present: ReadonlySet<string>): boolean {
  if (form.requiresAnyOf && !form.requiresAnyOf.some((o) => present.has(o))) return false;
  return !(form.excludes ?? []).some((o) => present.has(o));
}

export function checkGetopt(program: GetoptProgram, argv: readonly string[]): ArgvVerdict {
  const result = parseArgv(program, argv);
  if (!result.ok) return { ok: false, reason: result.reason };
  const parsed = result.parsed;
  const present = new Set(parsed.options.map((o) => o.id));
  const candidates = program.forms
    .filter((f) => verbMatches(program, f, parsed.positionals))
    .sort((a, b) => b.verb.length - a.verb.length);
  if (candidates.length === 0) {
    const verbs = [...new Set(program.forms.map((f) => f.verb[0] ?? ""))].join(", ");
    const first = parsed.positionals[0]?.value;
    const what =
      first === undefined
        ? `${program.name} needs one of`
        : `${program.name} ${first} is not accepted here; allowed`;
    return { ok: false, reason: `${what}: ${verbs}` };
  }
  const applicable = candidates.filter((f) => applies(f, present));
  let firstError: string | undefined;
  for (const form of applicable) {
    const tried = tryForm(program, form, parsed);
    if (tried.ok) return tried.verdict;
    firstError ??= tried.reason;
  }
  return { ok: false, reason: firstError ?? `${program.name}: these options do not go together here` };
}
