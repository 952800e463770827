import { execFile } from "node:child_process";
import { readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { parse, stringify } from "yaml";
import type { LabFacts } from "../../lab/facts";
import { agentHealthCheck } from "../../capabilities/wg/agent-http";
import { loadConfig } from "../../config/load";
import { readAgentSecret } from "../../state/agent-secret";
import { openDatabase } from "../../state/db";
import { DeviceStore } from "../../state/devices";
import { BOT_MIGRATIONS } from "../../state/migrations";
import { confirmationCode } from "./support/device-room";
import { describeLab } from "./support/lab";
import { cleanPc4, onPc4 } from "./support/pc4";
import { LabSession, WAIT } from "./support/session";
import { hubPeers, tracesOnPc } from "./support/wg-state";

const PC = "pc4";
const NAME = "pcb1";

/** The lab's config with a state dir of this test's own (other test runs wipe the lab's default one). */
function bundleConfig(facts: LabFacts): string {
  const config = parse(readFileSync(facts.botConfig, "utf8")) as Record<string, unknown>;
  config.state_dir = join(facts.labDir, "bot-state-bundle");
  const path = join(facts.labDir, "meshpilot-bundle.yaml");
  writeFileSync(path, stringify(config));
  return path;
}

function deviceRow(configFile: string, name: string) {
  const db = openDatabase(join(loadConfig(configFile).config.state_dir, "meshpilot.db"), BOT_MIGRATIONS);
  try {
    return new DeviceStore(db).get(name);
  } finally {
    db.close();
  }
}

describeLab("meshpilot bundle: a PC with no route to the listener installs from an archive", (lab) => {
  beforeAll(() => cleanPc4(lab(), ["/home/*/meshpilot-pcb*", "/home/*/pcb*.tar.gz"]));
  afterAll(() => cleanPc4(lab(), ["/home/*/meshpilot-pcb*", "/home/*/pcb*.tar.gz"]));

  test("the archive unpacks and installs on pc4 with sudo sh install.sh; the bot finishes it over the mesh and says so; revoke names the uninstall script, which leaves nothing", async () => {
    const facts = lab();
    const configFile = bundleConfig(facts);
    const admin = facts.hosts[PC]!.adminUser!;
    const out = join(facts.labDir, `${NAME}.tar.gz`);
    rmSync(out, { force: true });
    const session = new LabSession(facts, "bundle", {}, { configFile });
    await session.start();
    try {
      const peersBefore = hubPeers(facts).length;
      const since = await session.operator.sendText(session.alertsRoom, "!enroll");
      // Made on the hub by the CLI, beside the running bot, on the same state.
      const made = Date.now();
      const cli = await promisify(execFile)(
        process.execPath,
        [
          join(facts.repo, "dist/cli/main.js"),
          "bundle",
          ...["--config", configFile, "--name", NAME, "--os", "linux", "--arch", "amd64"],
          ...["--user", admin, "--out", out],
        ],
        { encoding: "utf8" },
      );
      const makeMs = Date.now() - made;
      expect(cli.stderr).toContain(`✓ bundle for ${NAME} written`);
      expect(statSync(out).mode & 0o777).toBe(0o600);
      const size = statSync(out).size;
      expect(hubPeers(facts)).toHaveLength(peersBefore + 1);
      expect(deviceRow(configFile, NAME)?.status).toBe("provisioning");
      const listed = await session.operator.sendText(session.alertsRoom, "!enroll");
      await session.operator.waitFor(
        (e) =>
          e.sender === facts.botUserId &&
          session.operator.isAfter(e, listed) &&
          String(e.content.body).includes(`${NAME} — bundle, linux/amd64`),
        WAIT,
        "the bundle in !enroll",
      );

      // The operator copies it over (here: into the admin's home) and runs it, as on a real PC.
      const copied = await onPc4(facts, `install -o ${admin} -m 600 ${out} ~${admin}/${NAME}.tar.gz`, false);
      expect(copied).toMatchObject({ code: 0 });
      const unpacked = await onPc4(facts, `cd ~ && tar -xzf ${NAME}.tar.gz && ls meshpilot-${NAME}`);
      expect(unpacked.code).toBe(0);
      expect(unpacked.out).toContain("install.sh");
      const started = Date.now();
      const install = await onPc4(facts, `cd ~/meshpilot-${NAME} && sudo sh install.sh`);
      expect(install.out).toContain("installed");
      expect(install.code).toBe(0);
      const live = await session.operator.waitFor(
        (e) =>
          e.sender === facts.botUserId &&
          session.operator.isAfter(e, since) &&
          String(e.content.body).includes(`agent-${NAME} live — installed from a bundle`),
        WAIT,
        "the bot saying the bundled PC is live",
      );
      const liveMs = Date.now() - started;
      expect(String(live.content.body)).toContain(out);
      const row = deviceRow(configFile, NAME)!;
      expect(row).toMatchObject({ status: "live", backend: "wg", ssh_host: null });
      const stateDir = loadConfig(configFile).config.state_dir;
      expect(await agentHealthCheck(7700)(row.mesh_ip!, readAgentSecret(stateDir, NAME))).toBe(true);
      // The private key is in the archive and on pc4, never in the bot's database.
      const privateKey = /PrivateKey = (\S+)/.exec(
        (await onPc4(facts, "cat /etc/wireguard/mesh0.conf", false)).out,
      )![1]!;
      expect(readFileSync(join(stateDir, "meshpilot.db")).includes(Buffer.from(privateKey))).toBe(false);
      process.stderr.write(
        `bundle: ${(size / 1e6).toFixed(1)} MB made in ${makeMs} ms; sudo sh install.sh to live: ${liveMs} ms\n`,
      );

      // Revoke: the hub side completes; the PC's side is named, with the command, and it works.
      const code = await confirmationCode(session, facts, `!revoke ${NAME}`);
      const confirm = await session.operator.sendText(
        session.alertsRoom,
        `!revoke ${NAME} --confirm ${code}`,
      );
      const told = await session.operator.waitFor(
        (e) =>
          e.sender === facts.botUserId &&
          session.operator.isAfter(e, confirm) &&
          String(e.content.body).includes("from a bundle"),
        WAIT,
        "the revoke outcome",
      );
      const uninstall = /run on the PC: sudo (sh \S+)/.exec(String(told.content.body))?.[1];
      expect(uninstall).toBeDefined();
      expect(hubPeers(facts)).toHaveLength(peersBefore);
      const removed = await onPc4(facts, uninstall!, false);
      expect(removed).toMatchObject({ code: 0 });
      expect(tracesOnPc(facts, PC, admin)).toEqual([]);
    } finally {
      await session.stop();
      rmSync(out, { force: true });
    }
  }, 300_000);
});
