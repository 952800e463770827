import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError, loadConfig, loadSecrets, parseConfig } from "../../../config/load";
import { readEnv } from "../../../common/env";

const base = `
homeserver: { url: "http://127.0.0.1:8008", server_name: example.org }
appservice: { url: "http://127.0.0.1:9000" }
operators: ["@you:example.org"]
state_dir: ./state
`;
const tokens = { MESHPILOT_AS_TOKEN: "a", MESHPILOT_HS_TOKEN: "h" };

describe("the stt section", () => {
  test("is optional", () => {
    expect(parseConfig(base).config.stt).toBeUndefined();
  });

  test("only the url is required; the rest has defaults", () => {
    const { config } = parseConfig(`${base}stt: { url: "http://127.0.0.1:8080/v1/audio/transcriptions/" }`);
    expect(config.stt).toEqual({
      url: "http://127.0.0.1:8080/v1/audio/transcriptions",
      model: "whisper-1",
      format: "ogg",
      timeout_s: 60,
      max_bytes: 10 * 1024 * 1024,
      max_duration_s: 300,
    });
  });

  test("the example shows a whisper.cpp server that wants WAV", () => {
    const { config } = loadConfig(join(__dirname, "../../../config/meshpilot.example.yaml"));
    expect(config.stt).toMatchObject({ format: "wav", language: "en" });
  });

  test("bad values are named by their path", () => {
    let problems: readonly string[] = [];
    try {
      parseConfig(`${base}stt: { url: "ftp://x", format: mp3, language: English }`, "t.yaml");
    } catch (error) {
      if (error instanceof ConfigError) problems = error.problems;
    }
    expect(problems.join("\n")).toMatch(/stt\.url \(line 6\): must be an http/);
    expect(problems.join("\n")).toMatch(/stt\.format/);
    expect(problems.join("\n")).toMatch(/stt\.language .*a language code such as en/);
  });

  test("no key file and no env: no key (local servers need none)", () => {
    const { config } = parseConfig(`${base}stt: { url: "http://127.0.0.1:8080/x" }`);
    expect(loadSecrets(config, readEnv(tokens)).sttApiKey).toBeUndefined();
  });

  test("the key comes from a 0600 file, relative to the config, or from MESHPILOT_STT_API_KEY", () => {
    const dir = mkdtempSync(join(tmpdir(), "stt-"));
    writeFileSync(join(dir, "key"), "sk-test\n");
    chmodSync(join(dir, "key"), 0o600);
    const { config } = parseConfig(
      `${base}stt: { url: "https://api.openai.com/v1/audio/transcriptions", api_key_file: key }`,
      join(dir, "meshpilot.yaml"),
    );
    expect(loadSecrets(config, readEnv(tokens)).sttApiKey).toBe("sk-test");
    expect(loadSecrets(config, readEnv({ ...tokens, MESHPILOT_STT_API_KEY: "sk-env" })).sttApiKey).toBe(
      "sk-env",
    );
    chmodSync(join(dir, "key"), 0o644);
    expect(() => loadSecrets(config, readEnv(tokens))).toThrow(/stt\.api_key_file: .* readable by others/);
  });
});
