import { join } from "node:path";
import type { Appservice } from "matrix-bot-sdk";
import type { Logger } from "../common/log";
import { agentPortOf, LLM_DEFAULTS, type Config } from "../config/schema";
import { SshDevices } from "../capabilities/ssh/devices";
import { readPrivateKeyFile } from "../provisioning/keys-on-disk";
import type { HostKeyChangedError } from "../ssh/connect";
import { buildProvisioning } from "../provisioning/factory";
import type { Engine, Pipeline } from "../provisioning/engine";
import type { ProvisioningService } from "../provisioning/service";
import { HostKeyStore } from "../ssh/host-keys";
import { SshPool } from "../ssh/pool";
import type { Db } from "../state/db";
import { DeviceStore } from "../state/devices";
import { GrantStore } from "../agents/approval-grants";
import { dailyLimitsOf } from "../agents/usage-budget";
import { UsageStore } from "../agents/usage-store";
import { buildCommandTable } from "./commands";
import type { FanoutAgents } from "./commands/ask";
import type { CommandTable } from "./commands/table";
import { AppserviceProvisioner } from "./device-rooms";
import { agentHealthCheck } from "../capabilities/wg/agent-http";
import { HealthStore } from "../health/store";
import type { HealthMonitor } from "../health/monitor";
import { buildHealthMonitor } from "../health/factory";
import { textSinkRoom, type AlertRoom } from "../health/incident-gate";
import { IncidentStore } from "../health/incidents";
import { repairDevice } from "./alert-reactions";
import { AuditMirror } from "../capabilities/wg/audit-mirror";
import { DeviceAuditStore } from "../state/device-audit";
import { ConfirmCodes } from "./confirm-codes";
import { PeerApprovals } from "./peer-approvals";
import type { PullService } from "../provisioning/pull/service";
import type { EnrollmentStore } from "../provisioning/pull/tokens";
import type { Rendezvous } from "../provisioning/pull/rendezvous";
import { PanelAuth } from "../panel/auth";
import { Changes, WatchedHealthStore } from "../panel/changes";
import { BundleWatcher } from "../provisioning/bundle/watch";
import { bundlePipelineFor } from "../provisioning/bundle/pipeline";
import { localAgent } from "../provisioning/wg/agent-install";

export interface Services {
  devices: DeviceStore;
  engine: Engine;
  provisioning: ProvisioningService;
  /** Pull enrollment: links, the rendezvous the enrollment listener serves, peer approvals. */
  pull: PullService;
  enrollments: EnrollmentStore;
  rendezvous: Rendezvous;
  peerApprovals: PeerApprovals;
  /** Bundles (meshpilot bundle): finished over the mesh at the PC's first handshake, or expired. Started by startBot. */
  bundles: BundleWatcher | undefined;
  /** Every lifecycle pipeline by its journal name (add, repair, revoke), for crash recovery. */
  pipelineFor(name: string, data: unknown): Pipeline<unknown> | undefined;
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
  /** The web panel's links and sessions (undefined without panel:), and its change signal. */
  panelAuth: PanelAuth | undefined;
  changes: Changes;
  /** !ask needs the agents, which are built after the command table (bot/agents.ts needs these services). */
  bindAgents(agents: FanoutAgents): void;
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
  const matrix = new AppserviceProvisioner(appservice, config, log);
  const pool = new SshPool({
    privateKeyFor: () => readPrivateKeyFile(config.ssh.key_file ?? ""),
    pinnedFingerprint: (id) => hostKeys.get(id),
    onHostKeyChanged,
    maxChannelsPerHost: config.ssh.max_channels_per_host,
    readyTimeoutMs: config.ssh.connect_timeout_s * 1000,
    keepaliveMs: config.ssh.keepalive_s * 1000,
    log: log.child({ component: "ssh" }),
  });
  const sshDevices = new SshDevices(devices, pool, join(config.state_dir, "audit"));
  const peerApprovals = new PeerApprovals({
    room: alertRoom,
    operators: new Set(config.operators),
    log: log.child({ component: "enroll" }),
  });
  const agentHealthy = agentHealthCheck(agentPortOf(config));
  const parts = buildProvisioning({
    config,
    db,
    devices,
    hostKeys,
    matrix,
    agentHealthy,
    closePooled: (target) => pool.close(target),
    askPeerApproval: (request) => peerApprovals.ask(request),
    log,
  });
  const { engine, hub, provisioning, revoker, pull, enrollments, rendezvous } = parts;
  const mesh = config.mesh;
  const bundleDeps =
    mesh && hub
      ? {
          mesh,
          stateDir: config.state_dir,
          devices,
          hub,
          enrollments,
          localAgent: (build: string) => localAgent(mesh.agent_dir, build),
          matrix,
          agentHealthy,
        }
      : undefined;
  const bundles = bundleDeps
    ? new BundleWatcher({
        ...bundleDeps,
        engine,
        journal: parts.journal,
        tell: alertOperators,
        log: log.child({ component: "bundle" }),
        // A bundled PC is finished within seconds of its first handshake, whatever the health interval.
        intervalMs: Math.min(5, config.health.interval_s) * 1000,
      })
    : undefined;
  const bundlePipelines = bundleDeps ? bundlePipelineFor(bundleDeps, bundleDeps) : () => undefined;
  const pipelineFor = (name: string, data: unknown): Pipeline<unknown> | undefined =>
    parts.pipelineFor(name, data) ?? bundlePipelines(name, data);
  // The panel's open grids update when a verdict is written.
  const changes = new Changes();
  const health: HealthStore = new WatchedHealthStore(db, changes);
  const panelAuth = config.panel ? new PanelAuth(config.panel) : undefined;
  const incidents = new IncidentStore(db);
  const wgAudit = new AuditMirror({ store: new DeviceAuditStore(db) });
  const abandoned = wgAudit.abandonInFlight();
  if (abandoned > 0)
    log.warn({ calls: abandoned }, "calls in flight when the bot last stopped: their replies are unknown");
  const monitor = buildHealthMonitor(config, {
    devices,
    health,
    incidents,
    alerts: alertRoom,
    hub,
    wgPublicKey: (name) => provisioning.publicKeyOf(name),
    ssh: pool,
    sshAudit: sshDevices,
    wgAudit,
    busy: (name) => revoker.busy(name),
    log,
  });
  let fanoutAgents: FanoutAgents | undefined;
  const llm = config.llm ?? LLM_DEFAULTS;
  const usage = new UsageStore(db);
  const table = buildCommandTable({
    addPc: { provisioning, pull, roomAlias: (device) => matrix.roomAlias(device) },
    ask: {
      devices: () => devices.list(),
      health: () => health.all(),
      agents: () => fanoutAgents,
      limits: { concurrency: llm.fanout_concurrency, timeoutMs: llm.fanout_timeout_s * 1000 },
    },
    // The same rows the agents' broker and metered model use (bot/agents.ts): SQLite is the hand-off.
    approvals: { grants: new GrantStore(db) },
    usage: { store: usage, prices: llm.prices, limits: dailyLimitsOf(llm) },
    budget: { store: usage, limits: dailyLimitsOf(llm), known: (name) => devices.get(name) !== undefined },
    enroll: { pull, bundles },
    audit: { device: (name) => devices.get(name), sshAudit: (name) => sshDevices.audit(name), wgAudit },
    health: {
      devices: () => devices.list(),
      health: () => health.all(),
      incidents: () => incidents.allOpen(),
      silence: (name) => incidents.silenceOf(name, Date.now()),
    },
    panel: { auth: panelAuth },
    revoke: {
      revoker,
      codes: new ConfirmCodes(config.revoke.code_ttl_s * 1000),
      codeTtlS: config.revoke.code_ttl_s,
      onRevoked: (name) => {
        health.markRevoked(name, Date.now());
        monitor.forget(name);
        wgAudit.retire(name);
      },
      onForgotten: (name) => {
        health.forget(name);
        monitor.forget(name);
      },
    },
  });
  return {
    devices,
    engine,
    provisioning,
    pull,
    enrollments,
    rendezvous,
    peerApprovals,
    bundles,
    pipelineFor,
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
          keyFile: (n) => provisioning.keyFileOf(n),
          prepare: (request) => provisioning.prepare(request),
        },
        name,
      ),
    wgAudit,
    panelAuth,
    changes,
    bindAgents: (agents) => {
      fanoutAgents = agents;
    },
    close: () => {
      pool.closeAll();
      sshDevices.closeAll();
    },
  };
}
