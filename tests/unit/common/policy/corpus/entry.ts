/** One escape attempt: refused, or accepted only with the listed argv indexes typed as paths. */
import type { PolicyFlavor } from "../../../../../common/policy";

export interface Escape {
  flavor: PolicyFlavor;
  argv: readonly unknown[];
  /** Absent: must be refused. Present: accepted, and exactly these argv indexes come back as paths. */
  paths?: readonly number[];
}

export const refused = (...argv: unknown[]): Escape => ({ flavor: "linux", argv });
export const refusedOn = (flavor: PolicyFlavor, ...argv: unknown[]): Escape => ({ flavor, argv });
export const asPaths = (paths: readonly number[], ...argv: unknown[]): Escape => ({
  flavor: "linux",
  argv,
  paths,
});

/** Every prefix (from "--" plus 2 letters) of each long option, bare and with "=VALUE". */
export function abbreviations(
  program: string,
  longs: readonly string[],
  exclude: readonly string[] = [],
): Escape[] {
  const out: Escape[] = [];
  for (const long of longs) {
    for (let n = 4; n <= long.length; n += 1) {
      const word = long.slice(0, n);
      if (exclude.includes(word)) continue;
      out.push(refused(program, word, "/tmp/x"), refused(program, `${word}=/etc/shadow`));
    }
  }
  return out;
}
