import { join } from "node:path";
import type { Appservice } from "matrix-bot-sdk";
import { readEnv } from "../common/env";
import type { Logger } from "../common/log";
import type { Config } from "../config/schema";
import { SshDevices } from "../capabilities/ssh/devices";
import { Engine, parseFault } from "../provisioning/engine";
import { Journal } from "../provisioning/journal";
import { readPrivateKeyFile } from "../provisioning/keys-on-disk";
import { ProvisioningService } from "../provisioning/service";
import type { HostKeyChangedError } from "../ssh/connect";
import { HostKeyStore } from "../ssh/host-keys";
import { SshPool } from "../ssh/pool";
import type { Db } from "../state/db";
import { DeviceStore } from "../state/devices";
import { buildCommandTable } from "./commands";
import type { CommandTable } from "./commands/table";
import { AppserviceProvisioner } from "./device-rooms";

export interface Services {
  devices: DeviceStore;
  engine: Engine;
  provisioning: ProvisioningService;
  sshDevices: SshDevices;
  pool: SshPool;
  table: CommandTable;
  close(): void;
}

/** Builds everything behind the commands once, from config, state and the appservice. */
export function buildServices(
  config: Readonly<Config>,
  db: Db,
  appservice: Appservice,
  log: Logger,
  onHostKeyChanged: (error: HostKeyChangedError) => void,
): Services {
  const devices = new DeviceStore(db);
  const hostKeys = new HostKeyStore(db);
  const engine = new Engine(
    new Journal(db),
    log.child({ component: "provisioning" }),
    parseFault(readEnv().fault),
  );
  const matrix = new AppserviceProvisioner(appservice, config, log);
  const provisioning = new ProvisioningService({
    config,
    engine,
    devices,
    hostKeys,
    matrix,
    readKey: readPrivateKeyFile,
    log,
  });
  const pool = new SshPool({
    privateKeyFor: () => readPrivateKeyFile(config.ssh.key_file ?? ""),
    pinnedFingerprint: (id) => hostKeys.get(id),
    onHostKeyChanged,
    maxChannelsPerHost: config.ssh.max_channels_per_host,
    log: log.child({ component: "ssh" }),
  });
  const sshDevices = new SshDevices(devices, pool, join(config.state_dir, "audit"));
  const table = buildCommandTable({
    addPc: { provisioning, roomAlias: (device) => matrix.roomAlias(device) },
    audit: { device: (name) => devices.get(name), sshAudit: (name) => sshDevices.audit(name) },
  });
  return {
    devices,
    engine,
    provisioning,
    sshDevices,
    pool,
    table,
    close: () => {
      pool.closeAll();
      sshDevices.closeAll();
    },
  };
}
