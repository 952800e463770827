import { readEnv } from "../common/env";
import type { Logger } from "../common/log";
import type { Config } from "../config/schema";
import { connectSsh } from "../ssh/connect";
import type { HostKeyStore } from "../ssh/host-keys";
import { formatSshTarget, hostKeyId, parseSshTarget, type SshTarget } from "../ssh/target";
import type { Db } from "../state/db";
import type { DeviceStore } from "../state/devices";
import { Engine, parseFault, type Pipeline } from "./engine";
import { Journal } from "./journal";
import { readPrivateKeyFile } from "./keys-on-disk";
import type { MatrixProvisioner } from "./ports";
import { Rendezvous } from "./pull/rendezvous";
import type { PeerApproval, PullDeps } from "./pull/run";
import { PullService } from "./pull/service";
import { EnrollmentStore } from "./pull/tokens";
import { Revoker } from "./revoke";
import { ProvisioningService } from "./service";
import { sshConnector, type Connector } from "./ssh-session";
import { localAgent } from "./wg/agent-install";
import { Hub } from "./wg/hub";
import type { WgDeps } from "./wg/run";
import { LazySshShell, LocalShell } from "./wg/shell";

/** The hub: this machine (hub_mode local), or one reached over SSH with a pinned host key. */
export function buildHub(config: Readonly<Config>, hostKeys: HostKeyStore): Hub | undefined {
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
      readyTimeoutMs: config.ssh.connect_timeout_s * 1000,
    });
    hostKeys.pin(id, fingerprint);
    return client;
  });
  return new Hub(shell, settings);
}

export interface ProvisioningParts {
  journal: Journal;
  engine: Engine;
  hub: Hub | undefined;
  provisioning: ProvisioningService;
  revoker: Revoker;
  /** `--via pull` and `!enroll`; its enrollments and rendezvous are what the enrollment listener serves. */
  pull: PullService;
  enrollments: EnrollmentStore;
  rendezvous: Rendezvous;
  /** Every lifecycle pipeline by its journal name, for crash recovery. */
  pipelineFor: (name: string, data: unknown) => Pipeline<unknown> | undefined;
}

/** Everything behind !add-pc, repair and !revoke, from config and state. */
export function buildProvisioning(options: {
  config: Readonly<Config>;
  db: Db;
  devices: DeviceStore;
  hostKeys: HostKeyStore;
  matrix: MatrixProvisioner;
  /** A signed GET /health to a device agent; true when it answers 200. */
  agentHealthy: WgDeps["agentHealthy"];
  /** Drops the SSH pool's connection to an SSH-only device (revoke). */
  closePooled(target: SshTarget): void;
  log: Logger;
  connect?: Connector;
  /** enroll.approve_first: an operator's 👍 before a pulled PC's peer is enabled. */
  askPeerApproval?: (request: PeerApproval) => Promise<{ approved: boolean; by: string }>;
}): ProvisioningParts {
  const { config, db, devices, hostKeys, matrix, log } = options;
  const journal = new Journal(db);
  const engine = new Engine(journal, log.child({ component: "provisioning" }), parseFault(readEnv().fault));
  const hub = buildHub(config, hostKeys);
  const connect = options.connect ?? sshConnector(config);
  const mesh = config.mesh;
  const wg: WgDeps | undefined =
    mesh && hub
      ? {
          mesh,
          stateDir: config.state_dir,
          devices,
          hostKeys,
          matrix,
          hub,
          connect,
          agentHealthy: options.agentHealthy,
          localAgent: (build) => localAgent(mesh.agent_dir, build),
          log,
        }
      : undefined;
  const provisioning = new ProvisioningService({
    config,
    engine,
    journal,
    devices,
    hostKeys,
    matrix,
    connect,
    readKey: readPrivateKeyFile,
    wg,
    log,
  });
  const revoker = new Revoker({
    devices,
    journal,
    engine,
    hostKeys,
    matrix,
    stateDir: config.state_dir,
    wg,
    defaultKeyFile: config.ssh.key_file,
    closePooled: (target) => options.closePooled(target),
    now: () => new Date(),
    log: log.child({ component: "revoke" }),
  });
  const enrollments = new EnrollmentStore(db);
  const rendezvous = new Rendezvous();
  const enroll = config.enroll;
  const pullDeps: PullDeps | undefined =
    wg && enroll
      ? {
          ...wg,
          enrollments,
          rendezvous,
          publicUrl: enroll.public_url,
          approveFirst: enroll.approve_first,
          askApproval:
            options.askPeerApproval ??
            (() => Promise.reject(new Error("enroll.approve_first is set, but nothing can ask an operator"))),
        }
      : undefined;
  const pull = new PullService({
    engine,
    devices,
    pull: pullDeps,
    ttlS: enroll?.token_ttl_s ?? 900,
    publicKeyOf: (name) => provisioning.publicKeyOf(name),
  });
  return {
    journal,
    engine,
    hub,
    provisioning,
    revoker,
    pull,
    enrollments,
    rendezvous,
    pipelineFor: (name, data) =>
      provisioning.pipelineFor(name, data) ?? pull.pipelineFor(name, data) ?? revoker.pipelineFor(name, data),
  };
}
