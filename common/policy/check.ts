/**
 * checkArgv: the words themselves (no NUL, newline or invisible characters; bounded sizes),
 * argv[0] a bare name that is both allowed and in the flavor's grammar table, then the
 * program's grammar.
 */
import { checkGetopt } from "./match";
import { canonicalProgramName, findProgram, programsOf } from "./programs";
import type { ArgvVerdict, PolicyFlavor } from "./types";

export const MAX_WORDS = 256;
export const MAX_WORD_LENGTH = 4096;

const UNIX_NAME = /^[A-Za-z0-9_][A-Za-z0-9._+-]*$/;
const WINDOWS_NAME = /^[A-Za-z0-9_-]+(\.exe)?$/i;
// eslint-disable-next-line no-control-regex -- control characters are exactly what this refuses
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f]/;
/** Zero-width and direction-changing characters would make the approval card lie. */
const INVISIBLE = /[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/;

function refuse(reason: string): ArgvVerdict {
  return { ok: false, reason };
}

/** Allowed programs that also have a grammar here, for refusal sentences. */
export function usablePrograms(flavor: PolicyFlavor, allowedPrograms: readonly string[]): string[] {
  const allowed = new Set(allowedPrograms.map((p) => canonicalProgramName(flavor, p)));
  return programsOf(flavor)
    .map((p) => p.name)
    .filter((n) => allowed.has(n));
}

function allowedText(flavor: PolicyFlavor, allowedPrograms: readonly string[]): string {
  const usable = usablePrograms(flavor, allowedPrograms);
  return usable.length === 0 ? "no program is allowed" : `allowed: ${usable.join(", ")}`;
}

function wordProblem(word: unknown, index: number): string | undefined {
  if (typeof word !== "string") return `argv[${index}] is not a string`;
  if (word === "") return `argv[${index}] is empty`;
  if (word.length > MAX_WORD_LENGTH) return `argv[${index}] is longer than ${MAX_WORD_LENGTH} characters`;
  if (CONTROL.test(word)) return `argv[${index}] contains a NUL, newline or other control character`;
  if (INVISIBLE.test(word)) return `argv[${index}] contains an invisible or direction-changing character`;
  return undefined;
}

export function checkArgv(
  flavor: PolicyFlavor,
  allowedPrograms: readonly string[],
  argv: readonly unknown[],
): ArgvVerdict {
  if (!Array.isArray(argv) || argv.length === 0) return refuse("an empty command line is not accepted");
  if (argv.length > MAX_WORDS) return refuse(`a command line may have at most ${MAX_WORDS} words`);
  const words: string[] = [];
  for (const [index, word] of argv.entries()) {
    const problem = wordProblem(word, index);
    if (problem) return refuse(problem);
    words.push(word as string);
  }
  const name = words[0] ?? "";
  if (name.includes("/") || name.includes("\\")) {
    return refuse(`argv[0] must be a bare program name, not a path like ${name}`);
  }
  const shape = flavor === "windows" ? WINDOWS_NAME : UNIX_NAME;
  const canonical = canonicalProgramName(flavor, name);
  const allowed = allowedPrograms.some((p) => canonicalProgramName(flavor, p) === canonical);
  if (!shape.test(name) || !allowed) {
    return refuse(`${name} is not an allowed program; ${allowedText(flavor, allowedPrograms)}`);
  }
  const program = findProgram(flavor, name);
  if (!program) {
    return refuse(
      `${name} has no grammar on ${flavor}, so it is refused; ${allowedText(flavor, allowedPrograms)}`,
    );
  }
  return program.kind === "custom" ? program.check(words) : checkGetopt(program, words);
}
