import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError, loadConfig, loadSecrets, parseConfig } from "../../../config/load";
import { readEnv } from "../../../common/env";

const EXAMPLE = join(__dirname, "../../../config/meshpilot.example.yaml");

const minimal = `
homeserver:
  url: http://127.0.0.1:8008/
  server_name: example.org
appservice:
  url: http://127.0.0.1:9000
  as_token_file: as
  hs_token_file: hs
operators: ["@you:example.org"]
state_dir: ./state
`;

function problemsOf(text: string): readonly string[] {
  try {
    parseConfig(text, "test.yaml");
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("config loading", () => {
  test("the example config is valid and has no unknown keys", () => {
    const { config, warnings } = loadConfig(EXAMPLE);
    expect(warnings).toEqual([]);
    expect(config.operators).toEqual(["@you:example.org"]);
    expect(config.appservice.port).toBe(9000);
  });

  test("defaults fill in, URLs lose their trailing slash, relative paths resolve from the file", () => {
    const { config } = parseConfig(minimal, "/etc/meshpilot/meshpilot.yaml");
    expect(config.homeserver.url).toBe("http://127.0.0.1:8008");
    expect(config.rooms.alerts_alias).toBe("operator-alerts");
    expect(config.state_dir).toBe("/etc/meshpilot/state");
    expect(config.appservice.as_token_file).toBe("/etc/meshpilot/as");
  });

  test("the result is frozen", () => {
    const { config } = parseConfig(minimal, "x.yaml");
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.homeserver)).toBe(true);
    expect(() => {
      config.operators.push("@evil:example.org");
    }).toThrow();
  });

  test("each problem names its key path and line", () => {
    const problems = problemsOf(
      minimal
        .replace("url: http://127.0.0.1:9000", "url: http://127.0.0.1:9000\n  port: seventy")
        .replace('["@you:example.org"]', '["you"]'),
    );
    expect(problems).toEqual([
      expect.stringMatching(/^appservice\.port \(line 7\): .*number/),
      expect.stringMatching(/^operators\[0\] \(line 10\): must be a full Matrix user ID/),
    ]);
  });

  test("a missing required key is named", () => {
    const problems = problemsOf(minimal.replace("state_dir: ./state", ""));
    expect(problems).toEqual(["state_dir (line 2): required key is missing"]);
  });

  test("an unknown key is a warning with its line, not an error", () => {
    const { warnings, config } = parseConfig(minimal + "colour: blue\nhomeserver_extra: 1\n", "x.yaml");
    expect(warnings).toEqual([
      "colour (line 11): unknown key, ignored",
      "homeserver_extra (line 12): unknown key, ignored",
    ]);
    expect(config).not.toHaveProperty("colour");
  });

  test("broken YAML is reported with its line", () => {
    expect(problemsOf("homeserver:\n  url: [unclosed\n")[0]).toMatch(/^line \d+:/);
  });

  test("an unreadable file is a clear error", () => {
    expect(() => loadConfig("/nonexistent/meshpilot.yaml")).toThrow(/cannot read the file: ENOENT/);
  });
});

describe("secrets", () => {
  const dir = mkdtempSync(join(tmpdir(), "meshpilot-secrets-"));
  const write = (name: string, value: string, mode: number): string => {
    const file = join(dir, name);
    writeFileSync(file, value);
    chmodSync(file, mode);
    return file;
  };
  const configWith = (as: string, hs: string) =>
    parseConfig(
      minimal
        .replace("as_token_file: as", `as_token_file: ${as}`)
        .replace("hs_token_file: hs", `hs_token_file: ${hs}`),
      join(dir, "c.yaml"),
    ).config;

  test("tokens come from 0600 files, trimmed", () => {
    const config = configWith(write("as", "as-secret\n", 0o600), write("hs", "hs-secret", 0o600));
    expect(loadSecrets(config, readEnv({}))).toEqual({ asToken: "as-secret", hsToken: "hs-secret" });
  });

  test("a token file others can read is refused with the fix", () => {
    const config = configWith(write("as2", "x", 0o644), write("hs2", "y", 0o600));
    expect(() => loadSecrets(config, readEnv({}))).toThrow(/readable by others \(mode 644\) — run chmod 600/);
  });

  test.each([
    ["640", 0o640],
    ["604", 0o604],
    ["620", 0o620],
    ["440", 0o440],
  ])("a token file the group or others can touch (mode %s) is refused, naming the mode", (shown, mode) => {
    const config = configWith(write(`as-${shown}`, "x", 0o600), write(`hs-${shown}`, "y", mode));
    expect(() => loadSecrets(config, readEnv({}))).toThrow(
      new RegExp(`appservice\\.hs_token_file: .*hs-${shown} is readable by others \\(mode ${shown}\\)`),
    );
  });

  test("a 0400 token file is the owner's alone and is read", () => {
    const config = configWith(write("as-400", "a", 0o400), write("hs-400", "h", 0o600));
    expect(loadSecrets(config, readEnv({}))).toEqual({ asToken: "a", hsToken: "h" });
  });

  test("an empty (whitespace only) token file is a problem, not an empty token", () => {
    const config = configWith(write("as-empty", " \n", 0o600), write("hs-ok", "h", 0o600));
    expect(() => loadSecrets(config, readEnv({}))).toThrow(/appservice\.as_token_file: .*as-empty is empty/);
  });

  test("the environment overrides the files", () => {
    const config = configWith(join(dir, "missing-as"), join(dir, "missing-hs"));
    expect(loadSecrets(config, readEnv({ MESHPILOT_AS_TOKEN: "a", MESHPILOT_HS_TOKEN: "h" }))).toEqual({
      asToken: "a",
      hsToken: "h",
    });
  });

  test("a missing token file is named", () => {
    const config = configWith(join(dir, "missing-as"), write("hs3", "y", 0o600));
    expect(() => loadSecrets(config, readEnv({}))).toThrow(
      /appservice\.as_token_file: cannot read .*missing-as \(ENOENT\)/,
    );
  });
});
