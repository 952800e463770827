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
import { agentRequest } from "../capabilities/wg/agent-http";
import { Hub } from "../provisioning/wg/hub";
import { LazySshShell, LocalShell } from "../provisioning/wg/shell";
import { connectSsh } from "../ssh/connect";
import { HealthStore } from "../health/store";
import { HealthMonitor } from "../health/monitor";
import { textSinkRoom, type AlertRoom } from "../health/incident-gate";
import { IncidentStore } from "../health/incidents";
import { repairDevice } from "./alert-reactions";
import { AuditMirror } from "../capabilities/wg/audit-mirror";
import { DeviceAuditStore } from "../state/device-audit";
import { Revoker } from "../provisioning/revoke";
import { readAgentSecret } from "../provisioning/wg/agent-secret";
import { ConfirmCodes } from "./confirm-codes";
import { formatSshTarget, hostKeyId, parseSshTarget } from "../ssh/target";

/** The hub: this machine (hub_mode local), or one reached over SSH with a pinned host key. */
function buildHub(config: Readonly<Config>, hostKeys: HostKeyStore): Hub | undefined {
  const mesh = config.mesh;
  if (!mesh) return undefined;
  const settings = {
    interface: mesh.interface,
    configFile: mesh.hub_config_file,
    keepaliveS: mesh.persistent_keepalive_s,
  };
  if (mesh.hub_mode === "local") return new Hub(new LocalShell(), settings);
  const target = parseSshTarget(mesh.hub_ssh ?? "");
  const shell = new LazySshShell(`the hub (${formatSshTarget(target)})`, async () => {
    const id = hostKeyId(target);
    const { client, fingerprint } = await connectSsh({
      target,
      privateKey: readPrivateKeyFile(config.ssh.key_file ?? ""),
      expectedFingerprint: hostKeys.get(id),
    });
    hostKeys.pin(id, fingerprint);
    return client;
  });
  return new Hub(shell, settings);
}

export interface Services {
  devices: DeviceStore;
  engine: Engine;
  provisioning: ProvisioningService;
  sshDevices: SshDevices;
  pool: SshPool;
  table: CommandTable;
  health: HealthStore;
  /** Started by startBot once the alerts room is known, stopped with the bot. */
  monitor: HealthMonitor;
  /** Health incidents and silences (🔕). */
  incidents: IncidentStore;
  /** 🔁 on an alert: what `!add-pc <name>` again does; resolves to the sentence for operators. */
  repairDevice(name: string): Promise<string>;
  /** The bot's own copy of each WireGuard device's audit; WgDevices must record its calls here. */
  wgAudit: AuditMirror;
  close(): void;
}

/** Builds everything behind the commands once, from config, state and the appservice. */
export function buildServices(
  config: Readonly<Config>,
  db: Db,
  appservice: Appservice,
  log: Logger,
  onHostKeyChanged: (error: HostKeyChangedError) => void,
  alertOperators: (text: string) => void = () => undefined,
  alertRoom: AlertRoom = textSinkRoom(alertOperators),
): Services {
  const devices = new DeviceStore(db);
  const hostKeys = new HostKeyStore(db);
  const journal = new Journal(db);
  const engine = new Engine(journal, log.child({ component: "provisioning" }), parseFault(readEnv().fault));
  const matrix = new AppserviceProvisioner(appservice, config, log);
  const hub = buildHub(config, hostKeys);
  const agentHealthy = async (meshIp: string, secret: string): Promise<boolean> => {
    try {
      const reply = await agentRequest(
        `http://${meshIp}:${config.mesh?.agent_port ?? 7700}`,
        secret,
        "GET",
        "/health",
        undefined,
        3000,
      );
      return reply.status === 200;
    } catch {
      return false;
    }
  };
  const provisioning = new ProvisioningService({
    config,
    engine,
    journal,
    devices,
    hostKeys,
    matrix,
    readKey: readPrivateKeyFile,
    hub,
    agentHealthy,
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
  const revoker = new Revoker({
    config,
    devices,
    journal,
    hostKeys,
    matrix,
    hub,
    readKey: readPrivateKeyFile,
    closePooled: (target) => pool.close(target),
    log: log.child({ component: "revoke" }),
  });
  const health = new HealthStore(db);
  const incidents = new IncidentStore(db);
  const wgAudit = new AuditMirror({ store: new DeviceAuditStore(db) });
  const abandoned = wgAudit.abandonInFlight();
  if (abandoned > 0)
    log.warn({ calls: abandoned }, "calls in flight when the bot last stopped: their replies are unknown");
  const monitor = new HealthMonitor({
    devices,
    store: health,
    settings: monitorSettings(config),
    ...(hub ? { peerStats: () => hub.peerStats() } : {}),
    wgPublicKey: (name) => {
      const run = journal.latestCompleted(name);
      return run ? (JSON.parse(run.data) as { publicKey?: string }).publicKey : undefined;
    },
    agentUrl: (device) => `http://${device.mesh_ip ?? ""}:${config.mesh?.agent_port ?? 7700}`,
    agentSecret: (name) => readAgentSecret(config.state_dir, name),
    sshProbe: async (device) => {
      const result = await pool.exec(
        { user: device.ssh_user ?? "", host: device.ssh_host ?? "", port: device.ssh_port ?? 22 },
        "true",
        { timeoutMs: config.health.probe_timeout_s * 1000, maxBytes: 1024 },
      );
      if (result.exitCode !== 0)
        throw new Error(result.timedOut ? "no answer in time" : `exit ${result.exitCode}`);
    },
    sshAudit: (name) => {
      const log = sshDevices.audit(name);
      return {
        verify: (remembered) => log.verify(remembered),
        lastCallAt: () => log.recentCalls(1)[0]?.ts ?? null,
      };
    },
    wgAudit,
    incidents,
    alerts: alertRoom,
    busy: (name) => revoker.busy(name),
    log: log.child({ component: "health" }),
  });
  const table = buildCommandTable({
    addPc: { provisioning, roomAlias: (device) => matrix.roomAlias(device) },
    audit: { device: (name) => devices.get(name), sshAudit: (name) => sshDevices.audit(name), wgAudit },
    health: {
      devices: () => devices.list(),
      health: () => health.all(),
      incidents: () => incidents.allOpen(),
      silence: (name) => incidents.silenceOf(name, Date.now()),
    },
    revoke: {
      revoker,
      codes: new ConfirmCodes(config.revoke.code_ttl_s * 1000),
      codeTtlS: config.revoke.code_ttl_s,
      onRevoked: (name) => {
        health.markRevoked(name, Date.now());
        monitor.forget(name);
        wgAudit.retire(name);
      },
    },
  });
  return {
    devices,
    engine,
    provisioning,
    sshDevices,
    pool,
    table,
    health,
    monitor,
    incidents,
    repairDevice: (name) =>
      repairDevice(
        {
          device: (n) => devices.get(n),
          keyFile: (n) => {
            const run = journal.latestCompleted(n);
            return run ? (JSON.parse(run.data) as { keyFile?: string }).keyFile : undefined;
          },
          prepare: (request) => provisioning.prepare(request),
        },
        name,
      ),
    wgAudit,
    close: () => {
      pool.closeAll();
      sshDevices.closeAll();
    },
  };
}

function monitorSettings(
  config: Readonly<Config>,
): ConstructorParameters<typeof HealthMonitor>[0]["settings"] {
  const h = config.health;
  return {
    intervalMs: h.interval_s * 1000,
    staleAfterS: h.stale_after_s,
    probe: { timeoutMs: h.probe_timeout_s * 1000, retries: h.probe_retries },
    concurrency: h.concurrency,
    alerts: {
      flapWindowMs: h.flap_window_s * 1000,
      flapMaxAlerts: h.flap_max_alerts,
      silenceMs: h.silence_s * 1000,
      ...(h.remind_after_s ? { remindAfterMs: h.remind_after_s * 1000 } : {}),
    },
  };
}
