/**
 * Varied argv from every read form of a flavor's grammar, deterministic from a seed: for the
 * strace property test (run what the grammar accepts and watch it touch nothing) and for
 * the test that checkArgv accepts what the grammar describes.
 */
import type { FormSpec, GetoptProgram, OptionSpec, ValueType } from "./grammar";
import { programsOf } from "./programs";
import type { PolicyFlavor } from "./types";

export interface SamplePaths {
  dir: string;
  file: string;
}

type Rng = () => number;

/** mulberry32: small, fast and the same everywhere. */
function rngFrom(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[Math.floor(rng() * items.length)] as T;
}

function sampleValue(rng: Rng, type: ValueType, paths: SamplePaths): string {
  switch (type.kind) {
    case "int": {
      const lo = Math.max(type.min, 0);
      return String(lo + Math.floor(rng() * (Math.min(type.max, lo + 100) - lo + 1)));
    }
    case "enum":
      return type.list && rng() < 0.3
        ? [pick(rng, type.values), pick(rng, type.values)].join(",")
        : pick(rng, type.values);
    case "regex":
    case "text":
      return pick(rng, type.samples);
    case "literal":
      return type.word;
    case "path":
      return type.of === "dir"
        ? paths.dir
        : type.of === "file"
          ? paths.file
          : pick(rng, [paths.dir, paths.file]);
  }
}

/** One option as words; a short flag is returned alone so it can join a cluster. */
function optionWords(rng: Rng, program: GetoptProgram, spec: OptionSpec, paths: SamplePaths): string[] {
  let name = pick(rng, spec.names);
  if (program.caseless && rng() < 0.5) name = name.toUpperCase();
  if (!spec.value) return [name];
  const value = sampleValue(rng, spec.value, paths);
  const long = name.startsWith("--");
  const attached = long ? `${name}=${value}` : `${name}${value}`;
  const ways: string[][] = [];
  if (program.style !== "words") ways.push([attached]);
  if (spec.optional !== "attached") ways.push([name, value]);
  if (spec.optional) ways.push([name]);
  return pick(rng, ways);
}

function isShortFlag(program: GetoptProgram, word: string): boolean {
  const spec = program.options.find((o) => o.names.includes(word));
  return /^-[^-]$/.test(word) && spec !== undefined && !spec.value;
}

/** Joins runs of short flags into clusters ("-l", "-a" → "-la"; "-la", "-n5" → "-lan5") some of the time. */
function cluster(rng: Rng, program: GetoptProgram, groups: string[][]): string[] {
  const out: string[] = [];
  // Only a cluster made of flags may take more letters: a value (or an optional one) ends it.
  let flagsOnly = false;
  for (const words of groups) {
    const w = words[0] ?? "";
    const single = words.length === 1 && /^-[^-]/.test(w) && program.style !== "words";
    if (flagsOnly && single && rng() < 0.5) {
      out[out.length - 1] = `${out[out.length - 1] ?? ""}${w.slice(1)}`;
    } else {
      out.push(...words);
    }
    flagsOnly = words.length === 1 && isShortFlag(program, w);
  }
  return out;
}

function sampleForm(rng: Rng, program: GetoptProgram, form: FormSpec, paths: SamplePaths): string[] {
  const usable = form.options.filter((o) => !(form.excludes ?? []).includes(o));
  const chosen = new Set(usable.filter(() => rng() < 0.35));
  if (form.requiresAnyOf && !form.requiresAnyOf.some((o) => chosen.has(o)))
    chosen.add(pick(rng, form.requiresAnyOf));
  const specs = program.options.filter((o) => chosen.has(o.names[0] ?? ""));
  const options = cluster(
    rng,
    program,
    specs.map((s) => optionWords(rng, program, s, paths)),
  );
  const positionals: string[] = [];
  for (const p of form.positionals) {
    const min = p.optionalWith?.some((o) => chosen.has(o)) ? 0 : p.min;
    const count = Math.min(p.max, min + Math.floor(rng() * 3));
    for (let k = 0; k < count; k += 1) positionals.push(sampleValue(rng, p.type, paths));
  }
  const dashDash = program.dashDash && program.style !== "words" && positionals.length > 0 && rng() < 0.3;
  const rest = [...(dashDash ? ["--"] : []), ...positionals];
  let name = program.name;
  if (program.caseless) name = pick(rng, [name, name.toUpperCase(), `${name}.exe`]);
  const verbFirst = program.style === "gnu" && (!program.dashDash || rng() < 0.5);
  return verbFirst ? [name, ...form.verb, ...options, ...rest] : [name, ...options, ...form.verb, ...rest];
}

/**
 * Yields `perForm` argv for every read form of the flavor, round-robin over the forms
 * (linux: 46 forms, so the default gives 2300 samples). Paths come from `paths`.
 */
export function* sampleReadArgv(
  flavor: PolicyFlavor,
  seed: number,
  paths: SamplePaths,
  perForm = 50,
): Generator<string[]> {
  const rng = rngFrom(seed);
  const makers: Array<() => string[]> = [];
  for (const program of programsOf(flavor)) {
    if (program.kind === "custom") {
      if (program.forms.every((f) => f.callClass === "read")) makers.push(() => program.sample(rng, paths));
      continue;
    }
    for (const form of program.forms) {
      if (form.callClass === "read") makers.push(() => sampleForm(rng, program, form, paths));
    }
  }
  for (let k = 0; k < perForm; k += 1) {
    for (const make of makers) yield make();
  }
}
