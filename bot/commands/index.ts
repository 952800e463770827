import { helpCommand } from "./help";
import { createCommandTable, type CommandTable } from "./table";

/** What the commands need from the rest of the bot; grows as commands are added. */
export type CommandDeps = Record<string, never>;

/** Every command the bot knows, in the order !help lists them. */
export function buildCommandTable(_deps: CommandDeps): CommandTable {
  const table: CommandTable = createCommandTable([helpCommand(() => table)]);
  return table;
}
