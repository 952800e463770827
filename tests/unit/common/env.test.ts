import { readEnv } from "../../../common/env";

describe("readEnv", () => {
  test("nothing set: no overrides, not CI, the default lab directory, no fault", () => {
    expect(readEnv({})).toEqual({
      asToken: undefined,
      hsToken: undefined,
      llmApiKey: undefined,
      sttApiKey: undefined,
      logLevel: undefined,
      ci: false,
      labDir: "/var/lib/meshpilot-lab",
      fault: undefined,
    });
  });

  test("each variable lands in its field; blank counts as unset", () => {
    expect(
      readEnv({
        MESHPILOT_AS_TOKEN: "as",
        MESHPILOT_HS_TOKEN: "hs",
        MESHPILOT_LLM_API_KEY: "llm",
        ANTHROPIC_API_KEY: "anthropic",
        MESHPILOT_STT_API_KEY: "stt",
        MESHPILOT_LOG_LEVEL: "debug",
        MESHPILOT_LAB_DIR: "/tmp/lab",
      }),
    ).toMatchObject({
      asToken: "as",
      hsToken: "hs",
      llmApiKey: "llm",
      sttApiKey: "stt",
      logLevel: "debug",
      labDir: "/tmp/lab",
    });
    expect(readEnv({ MESHPILOT_AS_TOKEN: "  ", MESHPILOT_LAB_DIR: "" })).toMatchObject({
      asToken: undefined,
      labDir: "/var/lib/meshpilot-lab",
    });
  });

  test("the LLM key falls back to ANTHROPIC_API_KEY", () => {
    expect(readEnv({ ANTHROPIC_API_KEY: "anthropic" }).llmApiKey).toBe("anthropic");
    expect(readEnv({ MESHPILOT_LLM_API_KEY: " ", ANTHROPIC_API_KEY: "anthropic" }).llmApiKey).toBe(
      "anthropic",
    );
  });

  test.each([
    ["true", true],
    ["1", true],
    ["false", false],
    ["0", false],
    ["yes", false],
  ])("CI=%s is ci: %s", (value, ci) => {
    expect(readEnv({ CI: value }).ci).toBe(ci);
  });

  test("a test fault is honoured only together with MESHPILOT_TEST_HOOKS=1", () => {
    expect(readEnv({ MESHPILOT_TEST_FAULT: "crash:3" }).fault).toBeUndefined();
    expect(readEnv({ MESHPILOT_TEST_FAULT: "crash:3", MESHPILOT_TEST_HOOKS: "true" }).fault).toBeUndefined();
    expect(readEnv({ MESHPILOT_TEST_FAULT: "crash:3", MESHPILOT_TEST_HOOKS: "1" }).fault).toBe("crash:3");
    expect(readEnv({ MESHPILOT_TEST_FAULT: " ", MESHPILOT_TEST_HOOKS: "1" }).fault).toBeUndefined();
  });
});
