import type { ChainHead, VerifyResult } from "../common/audit/chain";
import type { Logger } from "../common/log";
import { agentBaseUrl } from "../capabilities/wg/agent-http";
import { agentPortOf, type Config } from "../config/schema";
import type { ExecOptions, ExecResult } from "../ssh/exec";
import type { SshTarget } from "../ssh/target";
import { findAgentSecret } from "../state/agent-secret";
import { sshTargetOf, type Device } from "../state/devices";
import type { AlertRoom } from "./incident-gate";
import type { IncidentStore } from "./incidents";
import {
  HealthMonitor,
  type MonitorDeps,
  type MonitorSettings,
  type PeerStats,
  type WgAuditCopy,
} from "./monitor";
import type { HealthStore } from "./store";

/** The parts of the config the monitor reads. */
export type HealthConfig = Pick<Config, "health" | "mesh" | "state_dir">;

/**
 * What the monitor needs from the rest of the bot, as narrow as the bot can hand it over:
 * the stores, the places it reaches devices through and the one question it asks the
 * provisioning side (is a device being taken apart right now).
 */
export interface HealthFactoryDeps {
  devices: { list(): Device[] };
  health: HealthStore;
  incidents: IncidentStore;
  /** The control room: incidents are pushed, edited and resolved there. */
  alerts: AlertRoom;
  /** The hub's view of its peers; undefined when no mesh is configured. */
  hub: { peerStats(): Promise<Map<string, PeerStats>> } | undefined;
  /** The WireGuard public key a device was enrolled with, if it was. */
  wgPublicKey(name: string): string | undefined;
  /** The bot's SSH pool: a probe is `true` run over it. */
  ssh: { exec(target: SshTarget, command: string, options: ExecOptions): Promise<ExecResult> };
  /** The bot-side audit log of each SSH-only device. */
  sshAudit: {
    audit(name: string): {
      verify(remembered?: ChainHead): VerifyResult;
      recentCalls(n: number): ReadonlyArray<{ ts: number }>;
    };
  };
  /** The bot's own copy of each WireGuard device's audit. */
  wgAudit: WgAuditCopy;
  /** A device being revoked right now: not judged, or its teardown would raise alerts. */
  busy(name: string): boolean;
  log: Logger;
}

/** The health monitor, built from config and the bot's parts; started later, by startBot. */
export function buildHealthMonitor(config: Readonly<HealthConfig>, deps: HealthFactoryDeps): HealthMonitor {
  return new HealthMonitor(monitorDeps(config, deps));
}

/** The config's health block in the units the monitor counts in. */
export function monitorSettings(health: Readonly<Config["health"]>): MonitorSettings {
  return {
    intervalMs: health.interval_s * 1000,
    staleAfterS: health.stale_after_s,
    probe: { timeoutMs: health.probe_timeout_s * 1000, retries: health.probe_retries },
    concurrency: health.concurrency,
    alerts: {
      flapWindowMs: health.flap_window_s * 1000,
      flapMaxAlerts: health.flap_max_alerts,
      silenceMs: health.silence_s * 1000,
      ...(health.remind_after_s ? { remindAfterMs: health.remind_after_s * 1000 } : {}),
    },
  };
}

/** What the monitor is constructed with; exported so the wiring can be checked without sweeping. */
export function monitorDeps(config: Readonly<HealthConfig>, deps: HealthFactoryDeps): MonitorDeps {
  const settings = monitorSettings(config.health);
  const agentPort = agentPortOf(config);
  const { hub } = deps;
  return {
    devices: deps.devices,
    store: deps.health,
    settings,
    ...(hub ? { peerStats: () => hub.peerStats() } : {}),
    wgPublicKey: (name) => deps.wgPublicKey(name),
    agentUrl: (device) => agentBaseUrl(device.mesh_ip ?? "", agentPort),
    agentSecret: (name) => findAgentSecret(config.state_dir, name),
    sshProbe: async (device) => {
      const result = await deps.ssh.exec(sshTargetOf(device), "true", {
        timeoutMs: settings.probe.timeoutMs,
        maxBytes: 1024,
      });
      if (result.exitCode !== 0)
        throw new Error(result.timedOut ? "no answer in time" : `exit ${result.exitCode}`);
    },
    sshAudit: (name) => {
      const log = deps.sshAudit.audit(name);
      return {
        verify: (remembered) => log.verify(remembered),
        lastCallAt: () => log.recentCalls(1)[0]?.ts ?? null,
      };
    },
    wgAudit: deps.wgAudit,
    incidents: deps.incidents,
    alerts: deps.alerts,
    busy: (name) => deps.busy(name),
    log: deps.log.child({ component: "health" }),
  };
}
