/** How a form is shown to the operator and the model: "ls [-l -a -h …] [PATH…]". */
import type { FormSpec, GetoptProgram, OptionSpec, PositionalSpec } from "./grammar";
import { typeName } from "./values";

function optionText(o: OptionSpec): string {
  const name = o.names[0] ?? "";
  if (!o.value) return name;
  const ph = o.placeholder ?? typeName(o.value);
  if (o.optional === "attached") return name.startsWith("--") ? `${name}[=${ph}]` : `${name}[${ph}]`;
  if (o.optional === "greedy") return `${name} [${ph}]`;
  return name.startsWith("--") ? `${name}=${ph}` : `${name} ${ph}`;
}

function positionalText(p: PositionalSpec): string {
  const name = p.type.kind === "literal" ? p.type.word : p.name;
  const many = p.max > 1 ? "…" : "";
  const required = p.min > 0 && !p.optionalWith;
  return required ? `${name}${many}` : `[${name}${many}]`;
}

export function formText(program: GetoptProgram, form: FormSpec): string {
  const opts = program.options.filter((o) => form.options.includes(o.names[0] ?? ""));
  const optionPart = opts.length > 0 ? [`[${opts.map(optionText).join(" ")}]`] : [];
  // GNU getopt permutes, so options may follow the verb; BSD getopt and ip want them first.
  const parts =
    program.style === "gnu"
      ? [program.name, ...form.verb, ...optionPart]
      : [program.name, ...optionPart, ...form.verb];
  for (const p of form.positionals) parts.push(positionalText(p));
  return parts.join(" ");
}
