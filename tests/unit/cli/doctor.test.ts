import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { agentBuildCheck } from "../../../cli/checks/agent-build";
import { diagnose } from "../../../cli/checks/appservice";
import { homeserverCheck } from "../../../cli/checks/homeserver";
import { sshKeyCheck } from "../../../cli/checks/ssh-key";
import { stateDirCheck } from "../../../cli/checks/state-dir";
import type { DoctorContext } from "../../../cli/checks/types";
import { wireguardCheck } from "../../../cli/checks/wireguard";
import { formatResult, runDoctor } from "../../../cli/doctor";
import { readEnv } from "../../../common/env";
import { parseConfig } from "../../../config/load";

const dir = mkdtempSync(join(tmpdir(), "doctor-"));
const key = join(dir, "id_ed25519");
writeFileSync(key, "key");
const { config } = parseConfig(
  `
homeserver: {url: "http://127.0.0.1:1", server_name: example.org}
appservice: {url: "http://127.0.0.1:9000"}
operators: ["@you:example.org"]
state_dir: ${dir}/state
ssh: {key_file: ${key}}
mesh: {subnet: 10.42.0.0/24, hub_address: 10.42.0.1, endpoint: "h:51820", hub_config_file: /etc/wg.conf, agent_dir: ${dir}/empty}
`,
  join(dir, "meshpilot.yaml"),
);
const context = (over: Partial<DoctorContext> = {}): DoctorContext => ({
  configFile: "/etc/meshpilot.yaml",
  config,
  secrets: { asToken: "AS", hsToken: "HS" },
  fetch: () => Promise.reject(new TypeError("fetch failed", { cause: { code: "ECONNREFUSED" } })),
  run: () => Promise.resolve({ code: 0, stdout: "", stderr: "" }),
  timeoutMs: 100,
  earlier: new Map(),
  ...over,
});

describe("doctor checks", () => {
  test("SSH key: 0644 fails with the chmod, 0600 passes, missing says how to make one", async () => {
    chmodSync(key, 0o644);
    expect(await sshKeyCheck.run(context())).toMatchObject({ ok: false, hint: `chmod 600 ${key}` });
    chmodSync(key, 0o600);
    expect((await sshKeyCheck.run(context())).ok).toBe(true);
  });

  test("agent not built: the build command is the fix", async () => {
    const result = await agentBuildCheck.run(context());
    expect(result).toMatchObject({
      ok: false,
      hint: expect.stringContaining("npm run build:agent") as string,
    });
    expect(result.detail).toContain("not built");
  });

  test("homeserver down: the reason and the URL", async () => {
    const result = await homeserverCheck.run(context());
    expect(result.ok).toBe(false);
    expect(result.detail).toContain("ECONNREFUSED");
    expect(result.hint).toContain("http://127.0.0.1:1");
  });

  test("WireGuard: the key passes; a missing interface says wg-quick up", async () => {
    const pub = "Ok54ceBgZQIww1WbVuttcvYsT63mfCMg0BnXyLnRHFA=";
    const up = context({ run: () => Promise.resolve({ code: 0, stdout: `${pub}\n`, stderr: "" }) });
    expect((await wireguardCheck.run(up)).ok).toBe(true);
    const down = context({
      run: () =>
        Promise.resolve({ code: 1, stdout: "", stderr: "Unable to access interface: No such device\n" }),
    });
    expect((await wireguardCheck.run(down)).hint).toContain("wg-quick up /etc/wg.conf");
  });

  test("state directory: created and written", async () => {
    expect((await stateDirCheck.run(context())).ok).toBe(true);
  });

  test.each([
    [401, "M_UNKNOWN_TOKEN", undefined, "app_service_config_files"],
    [502, "M_CONNECTION_FAILED", undefined, "start the bot"],
    [504, "M_CONNECTION_TIMEOUT", undefined, "start the bot"],
    [403, "M_FORBIDDEN", undefined, "appservice.id"],
    [502, "M_BAD_STATUS", 403, "hs_token"],
    [502, "M_BAD_STATUS", 404, "rebuild"],
  ])("appservice ping HTTP %i %s (bot %s): hint mentions %s", (status, errcode, bot, hint) => {
    const result = diagnose(status, errcode, "/etc/m.yaml", bot);
    expect(result.ok).toBe(false);
    expect(result.hint).toContain(hint);
  });
});

describe("doctor", () => {
  test("a broken config is one ✗ with the problems, and exit 1", async () => {
    const file = join(dir, "broken.yaml");
    writeFileSync(file, "homeserver: {}\n");
    const lines: string[] = [];
    const { code, results } = await runDoctor(file, { env: readEnv({}), print: (l) => lines.push(l) });
    expect(code).toBe(1);
    expect(results).toHaveLength(1);
    expect(lines[0]).toMatch(/^✗ config valid — .*homeserver\.url/);
    expect(lines[0]).toContain("\n    fix: fix the keys named above");
  });

  test("a line is ✓ with its detail, or ✗ with a fix under it", () => {
    expect(formatResult({ ok: true, label: "x", detail: "d" })).toBe("✓ x — d");
    expect(formatResult({ ok: false, label: "x", detail: "d", hint: "h" })).toBe("✗ x — d\n    fix: h");
  });
});
