import type { ChainHead, VerifyResult } from "../common/audit/chain";
import { errorMessage } from "../common/errors";
import type { Logger } from "../common/log";
import type { MirrorVerdict } from "../capabilities/wg/audit-mirror";
import type { AgentTransport } from "../capabilities/wg/wire";
import { agentRequest } from "../capabilities/wg/agent-http";
import type { Device } from "../state/devices";
import type { AlertSettings } from "./alerts";
import { evaluate } from "./evaluate";
import { IncidentGate, textSinkRoom, type AlertRoom, type Posted } from "./incident-gate";
import { IncidentStore } from "./incidents";
import { mapLimit } from "./limit";
import {
  agentHealth,
  agentSelfVerifyFailure,
  toAuditVerdict,
  withRetries,
  type ProbeSettings,
} from "./probes";
import { emptyRecord, type HealthRecord, type HealthStore } from "./store";
import type { AuditVerdict, Observation, Verdict } from "./types";

export interface MonitorSettings {
  intervalMs: number;
  staleAfterS: number;
  probe: ProbeSettings;
  concurrency: number;
  alerts: AlertSettings;
}

export interface PeerStats {
  handshake: number;
  rx: number;
}

/** The bot-side audit log of an SSH-only device, as the monitor needs it. */
export interface BotSideAudit {
  verify(remembered?: ChainHead): VerifyResult;
  lastCallAt(): number | null;
}

/**
 * The bot's own copy of a WireGuard device's audit (capabilities/wg/audit-mirror.ts). The
 * device is never asked whether its chain verifies: a device that rewrote its history
 * would say yes. The bot syncs its copy, checks it itself and matches it with the calls it sent.
 */
export interface WgAuditCopy {
  sync(name: string, transport: AgentTransport): Promise<MirrorVerdict>;
  lastCallAt(name: string): number | null;
}

export interface MonitorDeps {
  devices: { list(): Device[] };
  store: HealthStore;
  settings: MonitorSettings;
  /** The hub's peers; absent when no mesh is configured. */
  peerStats?: () => Promise<Map<string, PeerStats>>;
  wgPublicKey(name: string): string | undefined;
  agentUrl(device: Device): string;
  /** The agent secret, undefined when there is none; a throw (a file others can read) is the probe's error. */
  agentSecret(name: string): string | undefined;
  /** Resolves when the device's host answers over SSH. */
  sshProbe(device: Device): Promise<void>;
  sshAudit(name: string): BotSideAudit;
  wgAudit: WgAuditCopy;
  /** Defaults to the incidents kept in the health store's database. */
  incidents?: IncidentStore;
  /** The control room: incidents are pushed, edited and resolved there. */
  alerts?: AlertRoom;
  /** @deprecated A bare sink that sees the text of every push and edit; use alerts. */
  alert?(text: string): void;
  /** A device being revoked (or otherwise taken apart) right now: not judged, or its teardown would raise alerts. */
  busy?(name: string): boolean;
  log: Logger;
  now?: () => number;
}

export interface SweepEntry {
  name: string;
  verdict: Verdict;
  /** What operators were sent about it this sweep (pushes, edits, notices). */
  posted: Posted[];
}

/** What one device's probes found, before the hub's view is added. */
interface Probed {
  device: Device;
  probe: Observation["probe"];
  audit: AuditVerdict | undefined;
  /** The head to remember from now on (only moves forward when the chain verified). */
  head: ChainHead | undefined;
  capabilities: number | null;
  lastCallAt: number | null;
  /** What the agent's /health says it is; null when not probed or not a WireGuard device. */
  agentVersion?: string | null;
}

/**
 * Every interval: probes every live device (bounded concurrency), reads the hub once,
 * judges each device, stores the verdict and tells the operators about changes. A sweep
 * that runs long delays the next one instead of overlapping it.
 */
export class HealthMonitor {
  private readonly gate: IncidentGate;
  private readonly lastRx = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private stopped = true;

  constructor(private readonly deps: MonitorDeps) {
    this.gate = new IncidentGate({
      store: deps.incidents ?? new IncidentStore(deps.store.db),
      room: deps.alerts ?? textSinkRoom((text) => deps.alert?.(text)),
      settings: deps.settings.alerts,
      log: deps.log,
    });
  }

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
  }

  /** Forgets in-memory state for a device and closes its open incident (after a revoke). */
  forget(name: string): void {
    this.lastRx.delete(name);
    this.gate
      .revoked(name, this.now())
      .catch((error: unknown) =>
        this.deps.log.error({ err: error, device: name }, "could not close its incident"),
      );
  }

  async sweep(): Promise<SweepEntry[]> {
    const now = this.now();
    const all = this.deps.devices.list();
    const previous = this.deps.store.all();
    for (const device of all) {
      if (device.status === "revoked" && previous.get(device.name)?.status !== "revoked") {
        this.deps.store.markRevoked(device.name, now);
        await this.gate.revoked(device.name, now);
      }
    }
    const live = all.filter((d) => d.status === "live" && !this.deps.busy?.(d.name));
    const probed = await mapLimit(live, this.deps.settings.concurrency, (d) =>
      this.probe(d, previous.get(d.name)),
    );
    // Read after the probes: their replies are traffic, so a tunnel that carried none is silent.
    let peers: Map<string, PeerStats> | undefined;
    let hubError: string | undefined;
    if (live.some((d) => d.backend === "wg") && this.deps.peerStats) {
      try {
        peers = await this.deps.peerStats();
      } catch (error) {
        hubError = error instanceof Error ? error.message : String(error);
        this.deps.log.warn({ err: error }, "could not read the hub's peers");
      }
    }
    const judgedAt = this.now();
    // A revoke may have started while this sweep probed: what it took apart is not news.
    const stillLive = new Set(
      this.deps.devices
        .list()
        .filter((d) => d.status === "live" && !this.deps.busy?.(d.name))
        .map((d) => d.name),
    );
    const entries: SweepEntry[] = [];
    for (const p of probed.filter((p) => stillLive.has(p.device.name)))
      entries.push(await this.judge(p, previous.get(p.device.name), peers, hubError, judgedAt));
    return entries;
  }

  private async judge(
    p: Probed,
    prev: HealthRecord | undefined,
    peers: Map<string, PeerStats> | undefined,
    hubError: string | undefined,
    now: number,
  ): Promise<SweepEntry> {
    const name = p.device.name;
    const observation: Observation = {
      backend: p.device.backend,
      nowMs: now,
      probe: p.probe,
      audit: p.audit,
    };
    let handshake: number | null = null;
    let verdict: Verdict;
    if (p.device.backend === "wg" && hubError !== undefined) {
      verdict = { status: "stale", reason: "hub unreadable", detail: hubError };
    } else {
      if (p.device.backend === "wg") {
        const key = this.deps.wgPublicKey(name);
        const stats = key ? peers?.get(key) : undefined;
        observation.handshakeS = stats?.handshake;
        handshake = stats?.handshake ?? null;
        const before = this.lastRx.get(name);
        observation.tunnelSilent = stats !== undefined && before !== undefined && stats.rx === before;
        if (stats) this.lastRx.set(name, stats.rx);
      }
      verdict = evaluate(observation, { staleAfterS: this.deps.settings.staleAfterS });
    }
    const posted = await this.gate.observe(name, verdict, now);
    const pushed = posted.some((m) => m.kind === "push");
    const base = prev && prev.status !== "revoked" ? prev : emptyRecord(name, now);
    this.deps.store.put({
      ...base,
      status: verdict.status,
      reason: verdict.reason,
      detail: verdict.detail ?? null,
      since: prev && prev.status === verdict.status ? prev.since : now,
      checked_at: now,
      last_handshake: handshake ?? base.last_handshake,
      capabilities: p.capabilities ?? base.capabilities,
      agent_version: p.agentVersion ?? base.agent_version,
      last_call_at: p.lastCallAt ?? base.last_call_at,
      audit_count: p.head?.count ?? base.audit_count,
      audit_hash: p.head?.hash ?? base.audit_hash,
      audit_broken_id: p.audit ? (p.audit.ok ? null : p.audit.firstBrokenId) : base.audit_broken_id,
      alerted_at: pushed ? now : prev && prev.status === verdict.status ? prev.alerted_at : null,
    });
    for (const message of posted)
      this.deps.log.info({ device: name, status: verdict.status, kind: message.kind }, message.text);
    return { name, verdict, posted };
  }

  private async probe(device: Device, prev: HealthRecord | undefined): Promise<Probed> {
    const remembered =
      prev && prev.status !== "revoked" && prev.audit_count !== null && prev.audit_hash !== null
        ? { count: prev.audit_count, hash: prev.audit_hash }
        : undefined;
    // When the chain cannot be checked this time, the last verdict stands: a broken chain stays broken.
    const carried: AuditVerdict | undefined =
      prev?.audit_broken_id != null
        ? { ok: false, firstBrokenId: prev.audit_broken_id, reason: prev.detail ?? "broken" }
        : undefined;
    const settings = this.deps.settings.probe;
    if (device.backend === "ssh") {
      const result = await withRetries(settings, () => this.deps.sshProbe(device));
      const log = this.deps.sshAudit(device.name);
      const verified = log.verify(remembered);
      return {
        device,
        probe: result.ok ? { ok: true } : { ok: false, error: result.error, tries: result.tries },
        audit: toAuditVerdict(verified),
        head: verified.ok ? { count: verified.count, hash: verified.head } : undefined,
        capabilities: 3,
        lastCallAt: log.lastCallAt(),
      };
    }
    let secret: string | undefined;
    let secretProblem = "the bot has no secret for its agent";
    try {
      secret = this.deps.agentSecret(device.name);
    } catch (error) {
      // A secret file others can read (or cannot be read) is this device's problem, not the sweep's.
      secretProblem = errorMessage(error);
    }
    if (!secret)
      return {
        device,
        probe: { ok: false, error: secretProblem, tries: 0 },
        audit: carried,
        head: undefined,
        capabilities: null,
        lastCallAt: null,
      };
    const url = this.deps.agentUrl(device);
    const health = await withRetries(settings, () => agentHealth(url, secret, settings.timeoutMs));
    if (!health.ok)
      return {
        device,
        probe: { ok: false, error: health.error, tries: health.tries },
        audit: carried,
        head: undefined,
        capabilities: null,
        lastCallAt: null,
      };
    // Each request of the sync gets the probe's time limit.
    const transport: AgentTransport = (method, path, payload) =>
      agentRequest(url, secret, method, path, payload, settings.timeoutMs);
    const synced = await withRetries(settings, () => this.deps.wgAudit.sync(device.name, transport));
    if (!synced.ok)
      this.deps.log.warn({ device: device.name, error: synced.error }, "could not sync the audit copy");
    let verdict: AuditVerdict | undefined = synced.ok ? toAuditVerdict(synced.value) : undefined;
    const head =
      synced.ok && synced.value.ok ? { count: synced.value.count, hash: synced.value.head } : undefined;
    if (verdict?.ok) {
      const admitted = await agentSelfVerifyFailure(url, secret, settings.timeoutMs).catch(() => undefined);
      if (admitted)
        verdict = {
          ok: false,
          firstBrokenId: admitted.firstBrokenId,
          reason: `the device's own chain is broken at entry ${admitted.firstBrokenId} (${admitted.reason})`,
        };
    }
    return {
      device,
      probe: { ok: true },
      audit: verdict ?? carried,
      head,
      capabilities: health.value.capabilities,
      agentVersion: health.value.version ?? null,
      lastCallAt: this.deps.wgAudit.lastCallAt(device.name),
    };
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      const started = this.now();
      const run = this.sweep().catch((error: unknown) =>
        this.deps.log.error({ err: error }, "health sweep failed"),
      );
      this.running = run;
      void run.then(() => this.schedule(Math.max(0, this.deps.settings.intervalMs - (this.now() - started))));
    }, delayMs);
    this.timer.unref?.();
  }

  private now(): number {
    return (this.deps.now ?? Date.now)();
  }
}
