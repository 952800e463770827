import { parseConfig } from "../../../config/load";
import { agentPortOf, LLM_DEFAULTS } from "../../../config/schema";
import { MINIMAL_CONFIG } from "../support/config-text";

const MESH = `mesh:
  subnet: 10.42.0.0/24
  hub_address: 10.42.0.1
  endpoint: 192.0.2.1:51820
  hub_config_file: /etc/wireguard/mesh0.conf
`;

const parse = (text: string) => parseConfig(text, "/etc/meshpilot/meshpilot.yaml").config;

/** Every default lives once, in the schema; what code falls back on is parsed from it. */
describe("schema defaults", () => {
  test("an absent block is the same as an empty one: its keys' own defaults fill it", () => {
    const blocks = ["rooms", "log", "ssh", "ssh_devices", "health", "revoke", "startup"];
    const empty = parse(`${MINIMAL_CONFIG}${blocks.map((b) => `${b}: {}`).join("\n")}\n`);
    const absent = parse(MINIMAL_CONFIG);
    for (const block of blocks)
      expect([block, absent[block as keyof typeof absent]]).toEqual([
        block,
        empty[block as keyof typeof empty],
      ]);
    expect(absent.health.interval_s).toBeGreaterThan(0);
  });

  test("the llm defaults are what an empty llm block parses to", () => {
    expect(parse(`${MINIMAL_CONFIG}llm: {}\n`).llm).toEqual(LLM_DEFAULTS);
    expect(Object.isFrozen(LLM_DEFAULTS)).toBe(true);
    expect(parse(MINIMAL_CONFIG).llm).toBeUndefined();
  });

  test("the agent port is mesh.agent_port, or the mesh block's default without one", () => {
    expect(agentPortOf(parse(`${MINIMAL_CONFIG}${MESH}  agent_port: 7801\n`))).toBe(7801);
    expect(agentPortOf(parse(MINIMAL_CONFIG))).toBe(parse(`${MINIMAL_CONFIG}${MESH}`).mesh!.agent_port);
  });

  test("without a mesh block the stale threshold is checked against the mesh block's default keepalive", () => {
    const withMesh = (stale: number) => () =>
      parse(`${MINIMAL_CONFIG}${MESH}health: { stale_after_s: ${stale} }\n`);
    const without = (stale: number) => () => parse(`${MINIMAL_CONFIG}health: { stale_after_s: ${stale} }\n`);
    // The smallest accepted value is the same with a default mesh block and with none.
    let smallest = 100;
    while (smallest < 400 && throws(withMesh(smallest))) smallest++;
    expect(throws(without(smallest))).toBe(false);
    expect(throws(without(smallest - 1))).toBe(true);
  });
});

function throws(f: () => unknown): boolean {
  try {
    f();
    return false;
  } catch {
    return true;
  }
}
