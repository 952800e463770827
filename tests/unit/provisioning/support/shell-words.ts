/**
 * Just enough POSIX sh word syntax for the fake machine to read the commands the adapters
 * send: a word is bare characters, backslash escapes and single-quoted parts (shellQuote's
 * output, including its '\'' for a quote inside), glued together.
 */
export const WORD = String.raw`(?:'[^']*'|\\.|[^\s'"\\;&|<>()])+`;

/** The value sh gives a WORD. */
export function unquote(word: string): string {
  let out = "";
  for (let i = 0; i < word.length; i++) {
    const c = word[i]!;
    if (c === "'") {
      const end = word.indexOf("'", i + 1);
      if (end < 0) throw new Error(`an unclosed quote in ${word}`);
      out += word.slice(i + 1, end);
      i = end;
    } else if (c === "\\") {
      out += word[++i] ?? "";
    } else {
      out += c;
    }
  }
  return out;
}

/** Every WORD in a space-separated list, unquoted. */
export function words(list: string): string[] {
  return (list.match(new RegExp(WORD, "g")) ?? []).map(unquote);
}

/** A RegExp from a template where each `W` stands for one captured WORD. */
export function command(template: string): RegExp {
  const escaped = template.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/\bW\b/g, `(${WORD})`);
  return new RegExp(`^${escaped}$`);
}
