import { parseArgs, tokenize } from "../../../../bot/commands/args";
import type { ArgSpec } from "../../../../bot/commands/types";

const spec: ArgSpec = {
  positionals: [{ name: "name", required: true }],
  flags: {
    via: { takesValue: true, choices: ["wg", "ssh"], required: true },
    ssh: { takesValue: true },
    force: { takesValue: false },
  },
};
const command = { name: "add-pc", usage: "!add-pc <name> --via wg|ssh [--ssh user@host]", args: spec };

describe("command arguments", () => {
  test("tokenize keeps quoted words together", () => {
    expect(tokenize('add-pc "my pc" --via  wg')).toEqual(["add-pc", "my pc", "--via", "wg"]);
  });

  test("positionals and flags, in any order, with --flag=value", () => {
    expect(parseArgs(command, ["--via=wg", "pc1", "--ssh", "lucas@host", "--force"])).toEqual({
      positionals: { name: "pc1" },
      flags: { via: "wg", ssh: "lucas@host", force: true },
    });
  });

  test.each([
    [["pc1"], "!add-pc needs --via"],
    [["--via", "wg"], "!add-pc needs <name>"],
    [["pc1", "pc2", "--via", "wg"], "too many arguments for !add-pc"],
    [["pc1", "--via", "carrier-pigeon"], '--via must be one of wg, ssh (not "carrier-pigeon")'],
    [["pc1", "--via"], "--via needs a value"],
    [["pc1", "--via", "wg", "--colour", "red"], "!add-pc has no option --colour"],
    [["pc1", "--via", "wg", "--via", "ssh"], "--via is given twice"],
    [["pc1", "--via", "wg", "--force=yes"], "--force takes no value"],
  ])("%j is refused: %s", (words, message) => {
    expect(() => parseArgs(command, words)).toThrow(`${message} — usage: ${command.usage}`);
  });
});
