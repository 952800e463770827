import { execFile } from "node:child_process";
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { parse, stringify } from "yaml";
import { buildRegistration } from "../../bot/registration";
import { readEnv } from "../../common/env";
import { loadConfig, loadSecrets } from "../../config/load";
import { BotProcess, stopBotDaemon } from "../../lab/bot-process";
import { describeLab } from "./support/lab";

const run = promisify(execFile);

/** The built CLI, as an operator runs it; resolves with the exit code and output. */
async function meshpilot(repo: string, ...args: string[]): Promise<{ code: number; out: string }> {
  return runCli([process.execPath, join(repo, "dist/cli/main.js"), ...args]);
}

async function runCli([file, ...args]: string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await run(file!, args, { timeout: 20 * 60_000 });
    return { code: 0, out: stdout + stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, out: (failed.stdout ?? "") + (failed.stderr ?? "") };
  }
}

/** A copy of the lab's config with some keys changed, for simulating one broken item. */
function variant(
  source: string,
  dir: string,
  name: string,
  change: (c: Record<string, unknown>) => void,
): string {
  const data = parse(readFileSync(source, "utf8")) as Record<string, unknown>;
  change(data);
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, stringify(data));
  return file;
}

const line = (out: string, label: string): string => out.split("\n").find((l) => l.includes(label)) ?? "";

describeLab("meshpilot init and doctor", (lab) => {
  let work: string;
  beforeAll(() => {
    work = mkdtempSync(join(lab().labDir, "init-doctor-"));
  }, 120_000);

  test("--help prints each command's usage without needing a config", async () => {
    const doctor = await meshpilot(lab().repo, "doctor", "--help");
    expect(doctor.code).toBe(0);
    expect(doctor.out).toMatch(/usage: meshpilot doctor/);
    const start = await meshpilot(lab().repo, "start", "--help");
    expect(start).toEqual({ code: 0, out: expect.stringMatching(/^usage: meshpilot <command>/) as string });
  }, 120_000);

  test("init with flags writes a config check-config accepts and the registration Synapse loads", async () => {
    const out = join(work, "etc");
    const { code, out: printed } = await meshpilot(
      lab().repo,
      "init",
      ...["--yes", "--homeserver-url", lab().homeserverUrl, "--server-name", lab().serverName],
      ...["--operator", lab().operator.userId, "--appservice-url", "http://198.51.100.2:9000"],
      ...["--endpoint", "192.0.2.1:51820", "--ssh-key", lab().botSshKey, "--state-dir", join(work, "state")],
      ...["--out", out],
    );
    expect(code).toBe(0);
    expect(printed).toContain(`app_service_config_files:\n  - ${join(out, "registration.yaml")}`);
    // The tokens stay in their 0600 files: init never prints them.
    for (const token of ["as_token", "hs_token"])
      expect(printed).not.toContain(readFileSync(join(out, token), "utf8").trim());
    const check = await meshpilot(lab().repo, "check-config", "--config", join(out, "meshpilot.yaml"));
    expect(check).toEqual({ code: 0, out: `${join(out, "meshpilot.yaml")}: ok\n` });
    const { config } = loadConfig(join(out, "meshpilot.yaml"));
    const secrets = loadSecrets(config, readEnv({}));
    expect(parse(readFileSync(join(out, "registration.yaml"), "utf8"))).toEqual(
      buildRegistration(config, secrets),
    );
    const again = await meshpilot(
      lab().repo,
      "init",
      "--yes",
      "--server-name",
      "x",
      "--operator",
      "@a:x",
      "--out",
      out,
    );
    expect(again.code).toBe(1);
    expect(again.out).toContain("--force");
  }, 120_000);

  test("doctor without the bot running: the ping fails with 'start the bot'", async () => {
    // Holding the lab's bot lock (as BotProcess does) guarantees no other run's bot answers.
    await stopBotDaemon(lab());
    const lock = ["flock", "-w", "900", join(lab().labDir, "bot.lock")];
    const cli = [process.execPath, join(lab().repo, "dist/cli/main.js")];
    const { code, out } = await runCli([...lock, ...cli, "doctor", "--config", lab().botConfig]);
    expect(code).toBe(1);
    expect(line(out, "appservice registered")).toMatch(/^✗ .*M_CONNECTION_FAILED/);
    expect(out).toContain("fix: start the bot");
  }, 120_000);

  test("doctor on the lab's config with the bot running: all ✓", async () => {
    BotProcess.wipeState(loadConfig(lab().botConfig).config.state_dir);
    const bot = new BotProcess(lab(), { name: "init-doctor" });
    await bot.start();
    try {
      const { code, out } = await meshpilot(lab().repo, "doctor", "--config", lab().botConfig);
      expect(out).not.toContain("✗");
      for (const label of [
        "config valid",
        "homeserver",
        "appservice",
        "WireGuard",
        "SSH key",
        "device agent",
        "state",
      ])
        expect(line(out, label)).toMatch(/^✓ /);
      expect(code).toBe(0);
    } finally {
      await bot.stop();
    }
  }, 120_000);

  test("homeserver down: ✗ with the URL to fix", async () => {
    const file = variant(lab().botConfig, work, "hs-down", (c) => {
      (c.homeserver as Record<string, unknown>).url = "http://127.0.0.1:59999";
    });
    const { code, out } = await meshpilot(lab().repo, "doctor", "--config", file);
    expect(code).toBe(1);
    expect(line(out, "homeserver reachable")).toMatch(
      /^✗ homeserver reachable — http:\/\/127.0.0.1:59999.*ECONNREFUSED/,
    );
    expect(out).toContain("fix: start the homeserver, or fix homeserver.url");
  }, 120_000);

  test("registration missing: ✗ with app_service_config_files", async () => {
    const token = join(work, "unknown_as_token");
    writeFileSync(token, "not-registered-anywhere\n", { mode: 0o600 });
    const file = variant(lab().botConfig, work, "unregistered", (c) => {
      (c.appservice as Record<string, unknown>).as_token_file = token;
    });
    const { out } = await meshpilot(lab().repo, "doctor", "--config", file);
    expect(line(out, "appservice registered")).toMatch(/^✗ .*M_UNKNOWN_TOKEN/);
    expect(out).toContain("app_service_config_files");
  }, 120_000);

  test("SSH key 0644: ✗ with the chmod", async () => {
    const key = join(work, "id_ed25519");
    copyFileSync(lab().botSshKey, key);
    chmodSync(key, 0o644);
    const file = variant(lab().botConfig, work, "key-0644", (c) => {
      c.ssh = { ...(c.ssh as object), key_file: key };
    });
    const { code, out } = await meshpilot(lab().repo, "doctor", "--config", file);
    expect(code).toBe(1);
    expect(line(out, "SSH key")).toMatch(/^✗ .*0644/);
    expect(out).toContain(`fix: chmod 600 ${key}`);
  }, 120_000);

  test("agent not built: ✗ with npm run build:agent", async () => {
    const empty = join(work, "empty-agent-dir");
    mkdirSync(empty, { recursive: true });
    const file = variant(lab().botConfig, work, "no-agent", (c) => {
      c.mesh = { ...(c.mesh as object), agent_dir: empty };
    });
    const { code, out } = await meshpilot(lab().repo, "doctor", "--config", file);
    expect(code).toBe(1);
    expect(line(out, "device agent built")).toMatch(/^✗ .*not built/);
    expect(out).toContain("npm run build:agent");
  }, 120_000);
});
