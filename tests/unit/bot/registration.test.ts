import { parse } from "yaml";
import { buildRegistration, registrationYaml } from "../../../bot/registration";
import { parseConfig } from "../../../config/load";

const { config } = parseConfig(
  `
homeserver: {url: "http://hs:8008", server_name: "example.org"}
appservice: {url: "http://bot:9000", as_token_file: a, hs_token_file: h}
operators: ["@you:example.org"]
state_dir: /tmp/x
`,
  "/etc/x.yaml",
);

describe("appservice registration", () => {
  const registration = buildRegistration(config, { asToken: "AS", hsToken: "HS" });

  test("is not rate limited and owns the agent users, device aliases and the control room alias exclusively", () => {
    const yaml = parse(registrationYaml(registration)) as typeof registration;
    expect(yaml.rate_limited).toBe(false);
    expect(yaml.sender_localpart).toBe("meshpilot");
    expect(yaml.url).toBe("http://bot:9000");
    expect(yaml.as_token).toBe("AS");
    const users = new RegExp(`^${yaml.namespaces.users[0]!.regex}$`);
    expect(users.test("@agent-pc1:example.org")).toBe(true);
    expect(users.test("@agent-pc1:example.orgx")).toBe(false);
    expect(users.test("@you:example.org")).toBe(false);
    const aliases = (yaml.namespaces.aliases ?? []).map((a) => new RegExp(`^${a.regex}$`));
    expect(aliases.some((r) => r.test("#device-pc1:example.org"))).toBe(true);
    expect(aliases.some((r) => r.test("#operator-alerts:example.org"))).toBe(true);
    expect(aliases.some((r) => r.test("#random:example.org"))).toBe(false);
    // Nobody else may create the control room's alias first and have the bot invite the operators there.
    expect((yaml.namespaces.aliases ?? []).every((a) => a.exclusive)).toBe(true);
  });
});
