import { mkdirSync } from "node:fs";
import { userInfo } from "node:os";
import { join, resolve } from "node:path";
import { isUserError } from "../common/errors";
import { readEnv } from "../common/env";
import { createLogger } from "../common/log";
import { ConfigError, loadConfig } from "../config/load";
import type { Config } from "../config/schema";
import { bundleFacts, parseTtl } from "../provisioning/bundle/facts";
import { addBundlePipeline } from "../provisioning/bundle/pipeline";
import type { BundleData } from "../provisioning/bundle/data";
import type { BundleDeps } from "../provisioning/bundle/steps";
import { Engine, parseFault, type ProgressEvent, type RunOutcome } from "../provisioning/engine";
import { buildHub } from "../provisioning/factory";
import { Journal } from "../provisioning/journal";
import { validateDeviceName } from "../provisioning/names";
import { EnrollmentStore } from "../provisioning/pull/tokens";
import { localAgent } from "../provisioning/wg/agent-install";
import { HostKeyStore } from "../ssh/host-keys";
import { openDatabase, type Db } from "../state/db";
import { DeviceStore } from "../state/devices";
import { BOT_MIGRATIONS } from "../state/migrations";
import { flagValue, FlagError, parseFlags } from "./flags";

export const BUNDLE_USAGE = `usage: meshpilot bundle --config FILE --name NAME --os OS --arch ARCH --user USER --out FILE
                        [--home DIR] [--ttl 7d]

For a PC with no route to the enrollment listener: run on the hub, as root (like the bot).
The hub makes the PC's key pair, enrols its peer and writes one archive (mode 0600: it holds
the private key) with the agent, its config, manifest and service, install.sh, uninstall.sh
and README.txt. On the PC: tar -xzf FILE && cd meshpilot-NAME && sudo sh install.sh. The bot
finishes it over the mesh when the PC's first handshake arrives; a bundle not installed
within --ttl (default 7 days) is rolled back by the bot.

  --os, --arch   linux amd64|arm64, darwin arm64
  --user         the account the agent runs as on the PC
  --home         its home (default /home/USER, /Users/USER; /root for root)`;

const SPEC = { values: ["config", "name", "os", "arch", "user", "home", "ttl", "out"] };

export interface BundleOptions {
  print?: (line: string) => void;
  /** The parts that touch the hub, for tests; by default built from the config as the bot builds them. */
  deps?: (config: Readonly<Config>, db: Db) => BundleDeps;
}

/** `meshpilot bundle`: one journaled rollback run on the bot's own state database. */
export async function runBundle(argv: readonly string[], options: BundleOptions = {}): Promise<number> {
  const print = options.print ?? ((line: string) => console.error(line));
  let data: BundleData;
  let config: Readonly<Config>;
  try {
    const flags = parseFlags(argv, SPEC);
    const need = (name: string): string => {
      const value = flagValue(flags, name);
      if (value === undefined) throw new FlagError(`--${name} is required`);
      return value;
    };
    config = loadConfig(need("config")).config;
    const name = need("name");
    validateDeviceName(name);
    const facts = bundleFacts({
      os: need("os"),
      arch: need("arch"),
      user: need("user"),
      home: flagValue(flags, "home"),
    });
    if (!config.mesh) throw new FlagError("the config has no mesh: section — bundles enrol a WireGuard peer");
    data = {
      name,
      bundled: true,
      by: `cli:${userInfo().username}`,
      os: facts.os,
      arch: facts.arch,
      facts,
      out: resolve(need("out")),
      expiresAt: Date.now() + parseTtl(flagValue(flags, "ttl")) * 1000,
    };
  } catch (error) {
    if (error instanceof FlagError || isUserError(error) || error instanceof ConfigError) {
      print(`meshpilot bundle: ${error.message}\n\n${BUNDLE_USAGE}`);
      return 2;
    }
    throw error;
  }
  mkdirSync(config.state_dir, { recursive: true, mode: 0o700 });
  const db = openDatabase(join(config.state_dir, "meshpilot.db"), BOT_MIGRATIONS);
  try {
    const log = createLogger({
      level: readEnv().logLevel ?? "warn",
      pretty: false,
      destination: process.stderr,
    });
    const engine = new Engine(
      new Journal(db),
      log.child({ component: "bundle" }),
      parseFault(readEnv().fault),
    );
    const deps = (options.deps ?? defaultDeps)(config, db);
    const started = Date.now();
    const outcome = await engine.run(addBundlePipeline(deps), data.name, data, (e) => progress(print, e));
    report(print, outcome, data, Date.now() - started);
    return outcome.ok ? 0 : 1;
  } finally {
    db.close();
  }
}

function defaultDeps(config: Readonly<Config>, db: Db): BundleDeps {
  const mesh = config.mesh!;
  return {
    mesh,
    stateDir: config.state_dir,
    devices: new DeviceStore(db),
    hub: buildHub(config, new HostKeyStore(db))!,
    enrollments: new EnrollmentStore(db),
    localAgent: (build) => localAgent(mesh.agent_dir, build),
  };
}

function progress(print: (line: string) => void, e: ProgressEvent): void {
  const at = `[${e.index}/${e.total}] ${e.step}`;
  if (e.status === "done") print(`${at} ✓${e.detail ? ` (${e.detail})` : ""}`);
  else if (e.status === "failed") print(`${at} ✗ ${e.detail ?? ""}`);
  else if (e.status === "undone" && e.detail) print(`  undone: ${e.detail}`);
  else if (e.status === "undo_failed") print(`  could not undo ${e.step}: ${e.detail ?? ""}`);
}

function report(print: (line: string) => void, outcome: RunOutcome, data: BundleData, ms: number): void {
  if (!outcome.ok) {
    const left = outcome.undoFailures.length ? ` Left behind: ${outcome.undoFailures.join("; ")}.` : "";
    print(
      `✗ no bundle for ${data.name}: ${outcome.failed?.reason ?? "failed"}; everything it did was undone.${left}`,
    );
    return;
  }
  const until = new Date(data.expiresAt).toISOString().slice(0, 16).replace("T", " ");
  print(
    [
      `✓ bundle for ${data.name} written in ${(ms / 1000).toFixed(1)} s: ${data.out} (mode 0600 — it holds the PC's private key; keep it secret)`,
      `  mesh IP ${data.meshIp}; the bot finishes it when the PC's first handshake arrives, before ${until} UTC.`,
      `  On the PC: tar -xzf ${data.out.split("/").pop()} && cd meshpilot-${data.name} && sudo sh install.sh`,
    ].join("\n"),
  );
}
