/** The generic parser over a small made-up grammar: clusters, "=", "--", values. */
import {
  flag,
  int,
  oneOf,
  opt,
  optionalOpt,
  pos,
  PATH_ANY,
  type GetoptProgram,
} from "../../../../common/policy/grammar";
import { checkGetopt } from "../../../../common/policy/match";
import { parseArgv } from "../../../../common/policy/parse";
import { TEXT } from "../../../../common/policy/values";

const prog = (style: GetoptProgram["style"] = "gnu"): GetoptProgram => ({
  kind: "getopt",
  name: "t",
  style,
  dashDash: true,
  options: [
    flag("-a", "--all"),
    flag("-b"),
    opt(["-n", "--lines"], int(0, 99), "N"),
    opt(["-e", "--expr"], TEXT, "TEXT"),
    opt(["-f", "--file"], PATH_ANY, "FILE"),
    optionalOpt(["-c", "--color"], oneOf(["never", "always"]), "WHEN", "attached"),
    optionalOpt(["-k"], int(0, 9), "K", "greedy"),
  ],
  forms: [
    {
      callClass: "read",
      verb: [],
      options: ["-a", "-b", "-n", "-e", "-f", "-c", "-k"],
      positionals: [pos("PATH", PATH_ANY)],
      cwdWhenNoPath: true,
      reason: "t only reads",
    },
  ],
});

function options(argv: string[], style?: GetoptProgram["style"]): Array<[string, string | undefined]> {
  const r = parseArgv(prog(style), argv);
  if (!r.ok) throw new Error(r.reason);
  return r.parsed.options.map((o) => [o.id, o.value]);
}

function refusal(argv: string[], style?: GetoptProgram["style"]): string {
  const r = parseArgv(prog(style), argv);
  return r.ok ? "" : r.reason;
}

describe("parseArgv", () => {
  it("splits clusters and gives a value option the rest of its cluster or the next word", () => {
    expect(options(["t", "-ab"])).toEqual([
      ["-a", undefined],
      ["-b", undefined],
    ]);
    expect(options(["t", "-abn5"])).toEqual([
      ["-a", undefined],
      ["-b", undefined],
      ["-n", "5"],
    ]);
    expect(options(["t", "-an", "5"])).toEqual([
      ["-a", undefined],
      ["-n", "5"],
    ]);
    expect(options(["t", "-e-a"])).toEqual([["-e", "-a"]]);
    expect(options(["t", "-e", "-a"])).toEqual([["-e", "-a"]]);
  });

  it("takes long values with = or as the next word, and refuses = on a flag", () => {
    expect(options(["t", "--lines=7", "--expr", "x"])).toEqual([
      ["-n", "7"],
      ["-e", "x"],
    ]);
    expect(refusal(["t", "--all=1"])).toMatch(/--all takes no value/);
    expect(refusal(["t", "--lines"])).toMatch(/needs a value/);
    expect(refusal(["t", "--lines=x"])).toMatch(/not a whole number/);
    expect(refusal(["t", "-n", "100"])).toMatch(/outside 0..99/);
  });

  it("never expands an abbreviation", () => {
    expect(refusal(["t", "--al"])).toMatch(
      /t --al is not an option t accepts here; allowed: -a -b -n -e -f -c -k/,
    );
    expect(refusal(["t", "--line=5"])).toMatch(/--line is not an option/);
  });

  it("gives optional values only when attached, or greedily when the next word has the type", () => {
    expect(options(["t", "-c", "never"])).toEqual([["-c", undefined]]);
    expect(options(["t", "-cnever", "--color=always"])).toEqual([
      ["-c", "never"],
      ["-c", "always"],
    ]);
    expect(options(["t", "-k", "3"])).toEqual([["-k", "3"]]);
    expect(options(["t", "-k", "-a"])).toEqual([
      ["-k", undefined],
      ["-a", undefined],
    ]);
    expect(options(["t", "-k"])).toEqual([["-k", undefined]]);
  });

  it("makes every word after -- a positional and types it", () => {
    const r = parseArgv(prog(), ["t", "-a", "--", "-b", "--all"]);
    expect(r.ok && r.parsed.positionals.map((w) => [w.value, w.free])).toEqual([
      ["-b", true],
      ["--all", true],
    ]);
    const v = checkGetopt(prog(), ["t", "--", "-b", "x"]);
    expect(v.ok && v.paths.map((p) => p.value)).toEqual(["-b", "x"]);
  });

  it("permutes in gnu style but ends options at the first operand in posix style", () => {
    expect(options(["t", "x", "-a"])).toEqual([["-a", undefined]]);
    expect(options(["t", "x", "-a"], "posix")).toEqual([]);
    expect(checkGetopt(prog("posix"), ["t", "x", "-a"])).toMatchObject({ ok: false });
  });

  it("reports path values with their prefix and index", () => {
    const v = checkGetopt(prog(), ["t", "--file=/a", "-f/b", "-f", "/c", "d"]);
    expect(v.ok && v.paths).toEqual([
      { index: 1, value: "/a", prefix: "--file=", access: "read" },
      { index: 2, value: "/b", prefix: "-f", access: "read" },
      { index: 4, value: "/c", prefix: "", access: "read" },
      { index: 5, value: "d", prefix: "", access: "read" },
    ]);
    expect(checkGetopt(prog(), ["t", "-f", "-x"])).toMatchObject({ ok: false });
    expect(checkGetopt(prog(), ["t", "-a"])).toMatchObject({ ok: true, usesCwd: true });
  });
});
