import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { buildRegistration } from "../../../bot/registration";
import { readEnv } from "../../../common/env";
import { parseFlags } from "../../../cli/flags";
import { firstHost, gatherAnswers, INIT_FLAGS } from "../../../cli/init/answers";
import { writeInitFiles } from "../../../cli/init/write";
import { loadConfig, loadSecrets } from "../../../config/load";

const env = readEnv({});
const flags = (...argv: string[]) => parseFlags(argv, INIT_FLAGS);

describe("meshpilot init: answers", () => {
  test("flags alone, with defaults for the rest and no mesh, model or STT", async () => {
    const answers = await gatherAnswers(
      flags("--server-name", "example.org", "--operator", "@you:example.org"),
    );
    expect(answers).toMatchObject({
      homeserverUrl: "http://127.0.0.1:8008",
      operators: ["@you:example.org"],
      endpoint: "",
      hubInterface: "",
      model: "",
      sttUrl: "",
      outDir: ".",
    });
  });

  test("without a terminal the server name and an operator are required", async () => {
    await expect(gatherAnswers(flags("--operator", "@you:x"))).rejects.toThrow("--server-name is required");
    await expect(gatherAnswers(flags("--server-name", "x"))).rejects.toThrow("--operator");
  });

  test("asks what flags did not give; an empty answer takes the default", async () => {
    const asked: string[] = [];
    const replies: Record<string, string> = {
      "Server name (after the colon in @you:server)": "",
      "WireGuard endpoint devices dial, host:port (empty: no mesh)": "hub.example.org:51820",
      "Mesh subnet": "10.9.0.0/24",
    };
    const answers = await gatherAnswers(flags("--homeserver-url", "https://matrix.example.org"), (prompt) => {
      asked.push(prompt);
      return Promise.resolve(replies[prompt] ?? "");
    });
    expect(asked).not.toContain("Homeserver URL");
    expect(answers.serverName).toBe("matrix.example.org");
    expect(answers.operators).toEqual(["@admin:matrix.example.org"]);
    expect(answers.hubAddress).toBe("10.9.0.1");
    expect(answers.hubInterface).toBe("mesh0");
    expect(asked).not.toContain("File holding the model API key (mode 0600)");
  });

  test("the hub address is the subnet's first host", () => {
    expect(firstHost("10.42.0.0/24")).toBe("10.42.0.1");
    expect(firstHost("nonsense")).toBe("");
  });
});

describe("meshpilot init: files", () => {
  const everything = async (out: string) => {
    const key = join(out, "..", "llm_key");
    writeFileSync(key, "sk-test\n", { mode: 0o600 });
    return gatherAnswers(
      flags(
        ...[
          "--server-name",
          "example.org",
          "--operator",
          "@you:example.org",
          "--operator",
          "@two:example.org",
        ],
        ...["--endpoint", "203.0.113.1:51820", "--subnet", "10.42.0.0/24", "--hub-interface", "wg7"],
        ...["--ssh-key", "/etc/meshpilot/id_ed25519", "--model", "claude-sonnet-4-5", "--llm-key-file", key],
        ...["--stt-url", "http://127.0.0.1:8080/v1/audio/transcriptions", "--state-dir", "state"],
        ...["--appservice-url", "http://10.0.0.5:9100", "--out", out],
      ),
    );
  };

  test("a config the loader accepts, 0600 tokens and the matching registration", async () => {
    const out = join(mkdtempSync(join(tmpdir(), "init-")), "etc");
    const result = writeInitFiles(await everything(out), { force: false, agentDir: "/opt/agent", env });
    const { config, warnings } = loadConfig(result.configPath);
    expect(warnings).toEqual([]);
    expect(config.mesh).toMatchObject({
      interface: "wg7",
      hub_address: "10.42.0.1",
      agent_dir: "/opt/agent",
    });
    expect(config.appservice).toMatchObject({ port: 9100, bind_address: "10.0.0.5" });
    expect(config.state_dir).toBe(join(out, "state"));
    expect(config.llm?.model).toBe("claude-sonnet-4-5");
    for (const file of ["as_token", "hs_token", "registration.yaml"])
      expect(statSync(join(out, file)).mode & 0o777).toBe(0o600);
    const secrets = loadSecrets(config, env);
    expect(secrets.asToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(secrets.asToken).not.toBe(secrets.hsToken);
    expect(parse(readFileSync(result.registrationPath, "utf8"))).toEqual(
      buildRegistration(config, { asToken: secrets.asToken, hsToken: secrets.hsToken }),
    );
  });

  test("refuses to overwrite without --force; with it, the tokens are new", async () => {
    const out = join(mkdtempSync(join(tmpdir(), "init-")), "etc");
    const answers = await everything(out);
    writeInitFiles(answers, { force: false, agentDir: "/opt/agent", env });
    const before = readFileSync(join(out, "as_token"), "utf8");
    expect(() => writeInitFiles(answers, { force: false, agentDir: "/opt/agent", env })).toThrow(
      "already exists — pass --force",
    );
    writeInitFiles(answers, { force: true, agentDir: "/opt/agent", env });
    expect(readFileSync(join(out, "as_token"), "utf8")).not.toBe(before);
  });

  test("a bad answer writes nothing", async () => {
    const out = join(mkdtempSync(join(tmpdir(), "init-")), "etc");
    const answers = { ...(await everything(out)), operators: ["not-an-mxid"] };
    expect(() => writeInitFiles(answers, { force: false, agentDir: "/opt/agent", env })).toThrow(
      "must be a full Matrix user ID",
    );
    expect(() => statSync(out)).toThrow();
  });
});
