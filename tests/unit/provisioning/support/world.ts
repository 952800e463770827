import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { parseConfig } from "../../../../config/load";
import type { Config, MeshConfig } from "../../../../config/schema";
import type { Logger } from "../../../../common/log";
import { Engine, type Fault, type Pipeline, type ProgressEvent } from "../../../../provisioning/engine";
import { Journal } from "../../../../provisioning/journal";
import { Revoker, type RevokeResult } from "../../../../provisioning/revoke";
import { ProvisioningService, type AddRequest, type AddResult } from "../../../../provisioning/service";
import { localAgent } from "../../../../provisioning/wg/agent-install";
import type { WgDeps } from "../../../../provisioning/wg/run";
import { HostKeyStore } from "../../../../ssh/host-keys";
import type { SshTarget } from "../../../../ssh/target";
import { openDatabase, type Db } from "../../../../state/db";
import { DeviceStore } from "../../../../state/devices";
import { BOT_MIGRATIONS } from "../../../../state/migrations";
import { memoryLogger } from "../../support/fakes";
import { MINIMAL_CONFIG } from "../../support/config-text";
import type { MachineSpec } from "./machine";
import { FakeMatrix } from "./matrix";
import { Network } from "./network";
import { sha256 } from "./tunnel-conf";

/** What outlives a bot process: its database and state dir, and everything outside the bot. */
interface Outside {
  dir: string;
  stateDir: string;
  db: Db;
  config: Readonly<Config>;
  net: Network;
  matrix: FakeMatrix;
  /** Targets whose pooled SSH connection revoke dropped. */
  closedPools: SshTarget[];
}

export interface ProcessOptions {
  /** The engine of this process; default a plain Engine with `faults`. */
  engine?: (journal: Journal, log: Logger) => Engine;
  faults?: Fault[];
  /** Mesh settings for this process, e.g. a short ready_timeout_s (the schema's minimum is 5). */
  mesh?: Partial<MeshConfig>;
}

const dirs: string[] = [];

/** Removes every world's temp dir; call from afterEach. */
export function disposeWorlds(): void {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** Revoke's clock: every revoke happens at this minute. */
export const NOW = new Date("2031-04-05T06:07:08Z");

/**
 * One bot process over a real in-memory SQLite (devices, host keys, journal) and a real
 * state dir, built as provisioning/factory.ts builds it but with the outside faked: the
 * machines and the hub (Network), the homeserver (FakeMatrix), the clock. `restart()` is a
 * new process after a crash: new engine, service and revoker over the same state.
 */
export class World {
  readonly devices: DeviceStore;
  readonly hostKeys: HostKeyStore;
  readonly journal: Journal;
  readonly engine: Engine;
  readonly wg: WgDeps;
  readonly service: ProvisioningService;
  readonly revoker: Revoker;
  readonly log: Logger;
  readonly logLines: () => Array<Record<string, unknown>>;
  readonly progress: ProgressEvent[] = [];
  readonly pipelineFor: (name: string, data: unknown) => Pipeline<unknown> | undefined;

  private constructor(
    readonly outside: Outside,
    options: ProcessOptions,
  ) {
    const { db, config, net, matrix, stateDir } = outside;
    ({ log: this.log, lines: this.logLines } = memoryLogger("warn"));
    this.devices = new DeviceStore(db);
    this.hostKeys = new HostKeyStore(db);
    this.journal = new Journal(db);
    this.engine =
      options.engine?.(this.journal, this.log) ?? new Engine(this.journal, this.log, options.faults);
    const mesh = { ...config.mesh!, ...options.mesh };
    this.wg = {
      mesh,
      stateDir,
      devices: this.devices,
      hostKeys: this.hostKeys,
      matrix,
      hub: net.hub,
      connect: net.connect,
      agentHealthy: net.agentHealthy,
      localAgent: (build) => localAgent(mesh.agent_dir, build),
      log: this.log,
    };
    const common = { devices: this.devices, hostKeys: this.hostKeys, matrix, journal: this.journal };
    this.service = new ProvisioningService({
      ...common,
      config,
      engine: this.engine,
      connect: net.connect,
      readKey: () => Buffer.from("a private key"),
      wg: this.wg,
      log: this.log,
    });
    this.revoker = new Revoker({
      ...common,
      engine: this.engine,
      stateDir,
      wg: this.wg,
      defaultKeyFile: config.ssh.key_file,
      closePooled: (target) => outside.closedPools.push(target),
      now: () => NOW,
      log: this.log,
    });
    this.pipelineFor = (name, data) =>
      this.service.pipelineFor(name, data) ?? this.revoker.pipelineFor(name, data);
  }

  static create(options: ProcessOptions = {}): World {
    const dir = mkdtempSync(join(tmpdir(), "mp-world-"));
    dirs.push(dir);
    const stateDir = join(dir, "state");
    const agentDir = join(dir, "agent");
    mkdirSync(stateDir);
    mkdirSync(agentDir);
    const sums = ["linux-amd64", "linux-arm64"].map((build) => {
      const bytes = Buffer.from(`#!/bin/sh\n# device agent ${build}\n`);
      writeFileSync(join(agentDir, `device-agent-${build}`), bytes);
      return `${sha256(bytes)}  device-agent-${build}\n`;
    });
    writeFileSync(join(agentDir, "SHA256SUMS"), sums.join(""));
    const { config } = parseConfig(
      `${MINIMAL_CONFIG.replace("state_dir: ./state", `state_dir: ${JSON.stringify(stateDir)}`)}
ssh:
  key_file: ${JSON.stringify(join(dir, "id_ed25519"))}
ssh_hosts:
  desk: ana@desk.lan
mesh:
  subnet: 10.77.0.0/24
  hub_address: 10.77.0.1
  endpoint: hub.example.org:51820
  hub_config_file: /etc/wireguard/mesh0.conf
  agent_dir: ${JSON.stringify(agentDir)}
`,
    );
    const db = openDatabase(":memory:", BOT_MIGRATIONS);
    const outside = {
      dir,
      stateDir,
      db,
      config,
      net: new Network(),
      matrix: new FakeMatrix(config.operators),
      closedPools: [],
    };
    return new World(outside, options);
  }

  /** The bot started again over the same database and state dir (after a crash, or a restart). */
  restart(options: ProcessOptions = {}): World {
    return new World(this.outside, options);
  }

  get net(): Network {
    return this.outside.net;
  }

  get hub() {
    return this.outside.net.hub;
  }

  get matrix(): FakeMatrix {
    return this.outside.matrix;
  }

  get stateDir(): string {
    return this.outside.stateDir;
  }

  machine(spec: MachineSpec) {
    return this.outside.net.add(spec);
  }

  /** `!add-pc name --ssh user@host` (the machine's user unless given) through the service. */
  async add(
    name: string,
    host: string,
    options: Partial<Pick<AddRequest, "via" | "os" | "arch" | "keyFile">> & { user?: string } = {},
  ): Promise<AddResult> {
    const user = options.user ?? this.outside.net.machines.get(host)?.user ?? "ana";
    const { user: _user, ...rest } = options;
    const prepared = this.service.prepare({ name, via: "wg", ssh: `${user}@${host}`, ...rest });
    return prepared.execute((e) => this.progress.push(e));
  }

  /** A device added and live, on a new machine `host` (its name's .lan by default). */
  async live(name: string, spec: Partial<MachineSpec> = {}, via: "wg" | "ssh" = "wg"): Promise<void> {
    const machine = this.machine({ host: `${name}.lan`, ...spec });
    const result = await this.add(name, machine.host, { via });
    if (result.kind !== "added") throw new Error(`could not add ${name}: ${JSON.stringify(result)}`);
  }

  revoke(name: string, by = "@op:example.org"): Promise<RevokeResult> {
    return this.revoker.revoke(name, by);
  }

  /**
   * Everything an add or revoke may change: the devices and host_keys tables, the hub's
   * peers (running and saved), every machine (files, tunnel, agent, service), the live
   * Matrix users and rooms, and the files under the state dir. Not the journal (runs are
   * history) nor messages; nor an installed wireguard-tools package (never undone).
   */
  snapshot(): Record<string, unknown> {
    const { db, net, matrix, stateDir } = this.outside;
    return {
      devices: (
        db.prepare("SELECT * FROM devices ORDER BY name").all() as Array<Record<string, unknown>>
      ).map(({ created_at: _c, updated_at: _u, ...row }) => row),
      hostKeys: db.prepare("SELECT host, fingerprint FROM host_keys ORDER BY host").all(),
      hub: net.hub.snapshot(),
      machines: Object.fromEntries([...net.machines].map(([host, m]) => [host, m.snapshot()])),
      matrix: matrix.snapshot(),
      stateFiles: filesUnder(stateDir).map(
        (f) =>
          `${relative(stateDir, f)} ${(statSync(f).mode & 0o777).toString(8)} ${sha256(readFileSync(f)).slice(0, 12)}`,
      ),
    };
  }
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]))
    .sort();
}
