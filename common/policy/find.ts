/**
 * GNU find's argv is start points then an expression, not getopt. Start points are the
 * words before the first that starts with "-" or is "(" or "!"; the expression may use only
 * the tests and operators below. Nothing that runs (-exec, -ok), deletes, writes (-fprint,
 * -fls) or follows symlinks (-L, -H, -follow) is listed.
 */
import type { CustomProgram, ValueType } from "./grammar";
import { GLOB, USER } from "./values";
import { typeName, valueProblem } from "./values";
import type { ArgvVerdict, PathWord } from "./types";

const NUMBER: ValueType = { kind: "regex", name: "N", re: /^[+-]?[0-9]{1,9}$/, samples: ["1", "-7", "+30"] };
const SIZE: ValueType = {
  kind: "regex",
  name: "SIZE",
  re: /^[+-]?[0-9]{1,12}[bcwkMG]?$/,
  samples: ["+1M", "-10k"],
};
const DEPTH: ValueType = { kind: "int", min: 0, max: 1000 };
const TYPES: ValueType = {
  kind: "regex",
  name: "TYPE",
  re: /^[fdlps](,[fdlps])*$/,
  samples: ["f", "d", "f,d"],
};
const NEWER: ValueType = { kind: "path", of: "any" };

const VALUED_TESTS: Readonly<Record<string, ValueType>> = {
  "-name": GLOB,
  "-iname": GLOB,
  "-path": GLOB,
  "-ipath": GLOB,
  "-type": TYPES,
  "-maxdepth": DEPTH,
  "-mindepth": DEPTH,
  "-size": SIZE,
  "-mtime": NUMBER,
  "-mmin": NUMBER,
  "-atime": NUMBER,
  "-amin": NUMBER,
  "-ctime": NUMBER,
  "-cmin": NUMBER,
  "-newer": NEWER,
  "-user": USER,
  "-group": USER,
};
/** A Map, so "constructor" or "__proto__" can never look like a test. */
const VALUED = new Map(Object.entries(VALUED_TESTS));
const FLAGS = [
  "-empty",
  "-print",
  "-print0",
  "-prune",
  "-xdev",
  "-mount",
  "-depth",
  "-true",
  "-false",
  "-readable",
];
const OPERATORS = ["(", ")", "!", "-not", "-o", "-or", "-a", "-and"];
const ALLOWED = [...VALUED.keys(), ...FLAGS, ...OPERATORS];

const WHY = new Map<string, string>(
  Object.entries({
    "-exec": "it would run a program",
    "-execdir": "it would run a program",
    "-ok": "it would run a program",
    "-okdir": "it would run a program",
    "-delete": "it would delete files",
    "-fprint": "it would write a file",
    "-fprint0": "it would write a file",
    "-fprintf": "it would write a file",
    "-fls": "it would write a file",
    "-L": "it would follow symlinks",
    "-H": "it would follow symlinks",
    "-follow": "it would follow symlinks",
    "-files0-from": "it would read file names from a file",
  }),
);

const SYNOPSIS = `find [PATH…] [${ALLOWED.map((p) => {
  const type = VALUED.get(p);
  return type ? `${p} ${typeName(type)}` : p;
}).join(" ")}]`;

function refuse(reason: string): ArgvVerdict {
  return { ok: false, reason };
}

function looksLikeExpression(word: string): boolean {
  return (word.startsWith("-") && word.length > 1) || word === "(" || word === "!";
}

export function checkFind(argv: readonly string[]): ArgvVerdict {
  const paths: PathWord[] = [];
  let i = 1;
  for (; i < argv.length && !looksLikeExpression(argv[i] ?? ""); i += 1) {
    const word = argv[i] ?? "";
    if (word === ")" || word === ",") return refuse(`find start point "${word}" is not accepted`);
    const problem = valueProblem(NEWER, word, false);
    if (problem) return refuse(`find start point: ${problem}`);
    paths.push({ index: i, value: word, prefix: "", access: "read" });
  }
  const usesCwd = paths.length === 0;
  let depth = 0;
  for (; i < argv.length; i += 1) {
    const word = argv[i] ?? "";
    if (word === "(") depth += 1;
    if (word === ")") depth -= 1;
    if (depth < 0) return refuse("find's parentheses do not balance");
    if (OPERATORS.includes(word) || FLAGS.includes(word)) continue;
    const type = VALUED.get(word);
    if (!type) {
      const why = WHY.get(word) ?? (word.startsWith("-") ? "" : "start points come before the expression");
      const tail = why === "" ? "" : ` (${why})`;
      return refuse(`find ${word} is not allowed: find may only use ${ALLOWED.join(" ")}${tail}`);
    }
    const value = argv[i + 1];
    if (value === undefined) return refuse(`find ${word} needs a value`);
    const problem = valueProblem(type, value, false);
    if (problem) return refuse(`find ${word}: ${problem}`);
    i += 1;
    if (type.kind === "path") paths.push({ index: i, value, prefix: "", access: "read" });
  }
  if (depth !== 0) return refuse("find's parentheses do not balance");
  return { ok: true, callClass: "read", form: SYNOPSIS, paths, usesCwd, reason: "find only reads" };
}

function pick<T>(rng: () => number, items: readonly T[]): T {
  return items[Math.floor(rng() * items.length)] as T;
}

function sampleValue(rng: () => number, type: ValueType, paths: { dir: string; file: string }): string {
  if (type.kind === "regex" || type.kind === "text") return pick(rng, type.samples);
  if (type.kind === "int") return String(Math.floor(rng() * 5));
  return paths.file;
}

export function sampleFind(rng: () => number, paths: { dir: string; file: string }): string[] {
  const argv = ["find"];
  const starts = Math.floor(rng() * 3);
  for (let k = 0; k < starts; k += 1) argv.push(paths.dir);
  if (rng() < 0.5) argv.push("-maxdepth", String(1 + Math.floor(rng() * 3)));
  const tests = Math.floor(rng() * 4);
  for (let k = 0; k < tests; k += 1) {
    if (k > 0) argv.push(pick(rng, ["-o", "-a", "-and", "-or"]));
    const negate = rng() < 0.2;
    const group = rng() < 0.2;
    if (group) argv.push("(");
    if (negate) argv.push(pick(rng, ["!", "-not"]));
    const test = pick(
      rng,
      [...VALUED.keys()].filter((t) => t !== "-maxdepth" && t !== "-mindepth"),
    );
    argv.push(test, sampleValue(rng, VALUED.get(test) ?? GLOB, paths));
    if (group) argv.push(")");
  }
  if (rng() < 0.5) argv.push(pick(rng, ["-print", "-print0"]));
  return argv;
}

export const find: CustomProgram = {
  kind: "custom",
  name: "find",
  synopsis: SYNOPSIS,
  forms: [{ form: SYNOPSIS, callClass: "read" }],
  check: checkFind,
  sample: sampleFind,
};
