import type { Command } from "./types";

/** The command table: a plain, frozen map built once; a duplicate name is a start-up error. */
export interface CommandTable {
  readonly commands: readonly Command[];
  find(name: string): Command | undefined;
  /** The closest known name, for "did you mean" hints; undefined when nothing is close. */
  suggest(name: string): string | undefined;
}

export function createCommandTable(commands: readonly Command[]): CommandTable {
  const byName = new Map<string, Command>();
  for (const command of commands) {
    if (byName.has(command.name)) throw new Error(`two commands are named !${command.name}`);
    byName.set(command.name, command);
  }
  const frozen = Object.freeze([...commands]);
  return {
    commands: frozen,
    find: (name) => byName.get(name.toLowerCase()),
    suggest: (name) => {
      let best: { name: string; distance: number } | undefined;
      for (const known of byName.keys()) {
        const distance = editDistance(name.toLowerCase(), known);
        if (distance <= 2 && (!best || distance < best.distance)) best = { name: known, distance };
      }
      return best?.name;
    },
  };
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}
