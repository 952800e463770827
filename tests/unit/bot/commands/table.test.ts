import { createCommandTable } from "../../../../bot/commands/table";
import { buildCommandTable, type CommandDeps } from "../../../../bot/commands";
import type { Command } from "../../../../bot/commands/types";

const stub = (name: string): Command => ({
  name,
  summary: `${name} things`,
  usage: `!${name}`,
  args: { positionals: [], flags: {} },
  run: () => Promise.resolve(),
});

describe("the command table", () => {
  test("a duplicate name fails at start-up", () => {
    expect(() => createCommandTable([stub("help"), stub("health"), stub("help")])).toThrow(
      "two commands are named !help",
    );
  });

  test("lookups ignore case; suggestions only for close names", () => {
    const table = createCommandTable([stub("help"), stub("health"), stub("revoke")]);
    expect(table.find("HELP")?.name).toBe("help");
    expect(table.suggest("hepl")).toBe("help");
    expect(table.suggest("revok")).toBe("revoke");
    expect(table.suggest("deploy")).toBeUndefined();
  });

  test("the real table lists its commands, each with usage and summary", () => {
    // The table is only read here; no command runs, so its dependencies are never touched.
    const table = buildCommandTable({} as CommandDeps);
    expect(table.commands.map((c) => c.name)).toEqual([
      "help",
      "add-pc",
      "enroll",
      "audit",
      "health",
      "devices",
      "ask",
      "approvals",
      "usage",
      "budget",
      "revoke",
      "panel",
    ]);
    for (const command of table.commands) {
      expect(command.usage.startsWith(`!${command.name}`)).toBe(true);
      expect(command.summary.length).toBeGreaterThan(5);
    }
  });
});
