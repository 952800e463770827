/** The grammar as text: prompt lines, documentation rows, and the default allow-list. */
import { formText } from "./formtext";
import type { ProgramSpec } from "./grammar";
import { canonicalProgramName, programsOf } from "./programs";
import type { CallClass, PolicyFlavor } from "./types";

function forms(program: ProgramSpec): Array<{ form: string; callClass: CallClass }> {
  if (program.kind === "custom") return [...program.forms];
  return program.forms.map((f) => ({ form: formText(program, f), callClass: f.callClass }));
}

/** Programs with a grammar for this flavor whose every form is read-only (the default allow-list). */
export function defaultReadPrograms(flavor: PolicyFlavor): string[] {
  return programsOf(flavor)
    .filter((p) => forms(p).every((f) => f.callClass === "read"))
    .map((p) => p.name);
}

function synopsis(program: ProgramSpec): string {
  if (program.kind === "custom" || program.synopsis) return program.synopsis ?? program.name;
  const texts = [...new Set(forms(program).map((f) => f.form))];
  return texts.join("; ");
}

/** One line per allowed program that has a grammar: "ls [-l -a -h …] [PATH…]". */
export function describePrograms(flavor: PolicyFlavor, allowedPrograms: readonly string[]): string[] {
  const allowed = new Set(allowedPrograms.map((p) => canonicalProgramName(flavor, p)));
  return programsOf(flavor)
    .filter((p) => allowed.has(p.name))
    .map(synopsis);
}

/** Rows for documentation: program → form → class. */
export function policyTable(
  flavor: PolicyFlavor,
): Array<{ program: string; form: string; callClass: CallClass }> {
  return programsOf(flavor).flatMap((p) => forms(p).map((f) => ({ program: p.name, ...f })));
}
