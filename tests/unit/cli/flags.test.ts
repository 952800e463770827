import { FlagError, flagValue, parseFlags } from "../../../cli/flags";

const spec = { values: ["out", "operator"], repeatable: ["operator"], switches: ["yes"] };

describe("CLI flags", () => {
  test("values, repeatable values, = form and switches", () => {
    const flags = parseFlags(["--out", "d", "--operator=@a:x", "--operator", "@b:x", "--yes"], spec);
    expect(flagValue(flags, "out")).toBe("d");
    expect(flags.values.get("operator")).toEqual(["@a:x", "@b:x"]);
    expect(flags.switches.has("yes")).toBe(true);
  });

  test.each([
    [["--nope", "x"], "unknown flag --nope"],
    [["--out"], "--out needs a value"],
    [["--out", "--yes"], "--out needs a value"],
    [["--out", "a", "--out", "b"], "--out was given more than once"],
    [["stray"], 'unexpected argument "stray"'],
    [["--yes=1"], "--yes takes no value"],
  ])("%j is refused: %s", (argv, message) => {
    expect(() => parseFlags(argv, spec)).toThrow(new FlagError(message));
  });
});
