import { UserError } from "../common/errors";
import type { Logger } from "../common/log";
import type { Config } from "../config/schema";
import type { HostKeyStore } from "../ssh/host-keys";
import { formatSshTarget, parseSshTarget, type SshTarget } from "../ssh/target";
import type { Backend, Device, DeviceStore } from "../state/devices";
import type { Engine, Pipeline, ProgressEvent, RunOutcome } from "./engine";
import { ActiveRunError, type Journal } from "./journal";
import { validateDeviceName } from "./names";
import type { MatrixProvisioner } from "./ports";
import { checkAndRepair, type RepairReport } from "./repair";
import { SSH_PIPELINE, sshAddPipeline, type SshAddData } from "./ssh-pipeline";
import { WG_PIPELINE, wgAddPipeline, type WgAddData, type WgPipelineDeps } from "./wg-pipeline";
import type { Hub } from "./wg/hub";
import { SUPPORTED_TARGETS } from "./wg/target";

export interface AddRequest {
  name: string;
  via: Backend;
  /** user@host[:port], or an alias from ssh_hosts. */
  ssh: string;
  keyFile?: string;
  os?: string;
  arch?: string;
}

export type AddResult =
  | { kind: "added"; outcome: RunOutcome; total: number; data: unknown }
  | { kind: "failed"; outcome: RunOutcome; total: number }
  | { kind: "already_live"; device: Device }
  | { kind: "repaired"; device: Device; report: RepairReport };

export interface PreparedAdd {
  name: string;
  total: number;
  execute(onProgress: (e: ProgressEvent) => void): Promise<AddResult>;
}

export interface ServiceDeps {
  config: Readonly<Config>;
  engine: Engine;
  journal: Journal;
  devices: DeviceStore;
  hostKeys: HostKeyStore;
  matrix: MatrixProvisioner;
  readKey: (path: string) => Buffer;
  /** The hub, for --via wg; undefined when the mesh is not configured. */
  hub: Hub | undefined;
  agentHealthy: WgPipelineDeps["agentHealthy"];
  log: Logger;
}

/** Adding devices: validation, idempotency (already live, or repaired), and the pipeline run. */
export class ProvisioningService {
  constructor(private readonly deps: ServiceDeps) {}

  /**
   * Checks everything that can be checked without touching anything (name, target, key,
   * OS/arch flags) and returns the run to execute; bad input throws a UserError here.
   */
  prepare(request: AddRequest): PreparedAdd {
    validateDeviceName(request.name);
    const target = this.resolveTarget(request.ssh);
    const keyFile = request.keyFile ?? this.deps.config.ssh.key_file;
    if (!keyFile)
      throw new UserError("no SSH key is configured — set ssh.key_file in the config, or pass --key PATH");
    this.deps.readKey(keyFile);
    const forced = checkForced(request);
    const existing = this.deps.devices.get(request.name);
    if (existing && existing.status !== "revoked") checkSameDevice(existing, request.via, target);
    const pipeline = this.pipeline(request.via, keyFile);
    const total = pipeline.steps.length;
    return {
      name: request.name,
      total,
      execute: async (onProgress) => {
        const existing = this.deps.devices.get(request.name);
        if (existing?.status === "live") return this.recheck(existing, target, keyFile, pipeline);
        const data: SshAddData | WgAddData = {
          name: request.name,
          target,
          keyFile,
          ...(forced ? { forced } : {}),
        };
        try {
          const outcome = await this.deps.engine.run(pipeline, request.name, data, onProgress);
          return outcome.ok ? { kind: "added", outcome, total, data } : { kind: "failed", outcome, total };
        } catch (error) {
          if (error instanceof ActiveRunError)
            throw new UserError(`${request.name} is being added right now — wait for that to finish`);
          throw error;
        }
      },
    };
  }

  /** The pipeline a journaled run belongs to, for crash recovery. */
  pipelineFor(name: string, data: unknown): Pipeline<unknown> | undefined {
    const keyFile = (data as Partial<SshAddData>).keyFile ?? this.deps.config.ssh.key_file ?? "";
    if (name === SSH_PIPELINE) return this.pipeline("ssh", keyFile);
    if (name === WG_PIPELINE) return this.pipeline("wg", keyFile);
    return undefined;
  }

  private pipeline(via: Backend, keyFile: string): Pipeline<SshAddData> | Pipeline<WgAddData> {
    const { config, devices, hostKeys, matrix, readKey, hub, agentHealthy, log } = this.deps;
    const configWithKey = { ...config, ssh: { ...config.ssh, key_file: keyFile } };
    if (via === "ssh") return sshAddPipeline({ config: configWithKey, devices, hostKeys, matrix, readKey });
    if (!hub)
      throw new UserError("the mesh is not configured — add a mesh: section to the config to use --via wg");
    return wgAddPipeline({
      config: configWithKey,
      devices,
      hostKeys,
      matrix,
      hub,
      readKey,
      agentHealthy,
      log,
    });
  }

  private async recheck(
    existing: Device,
    target: SshTarget,
    keyFile: string,
    pipeline: Pipeline<SshAddData> | Pipeline<WgAddData>,
  ): Promise<AddResult> {
    // The last completed run knows what the checks need (public key, the target's facts).
    const lastRun = this.deps.journal.latestCompleted(existing.name);
    const previous = lastRun ? (JSON.parse(lastRun.data) as Partial<WgAddData>) : {};
    const data = {
      ...previous,
      name: existing.name,
      target,
      keyFile,
      roomId: existing.room_id ?? undefined,
    } as WgAddData;
    const log = this.deps.log.child({ device: existing.name, repair: true });
    const ctx = {
      runId: lastRun?.id ?? "recheck",
      device: existing.name,
      data,
      log,
      save: () => (lastRun ? this.deps.journal.saveData(lastRun.id, JSON.stringify(data)) : undefined),
    };
    try {
      const report = await checkAndRepair(pipeline as Pipeline<WgAddData>, ctx, log);
      if (report.repaired.length === 0 && report.failed.length === 0)
        return { kind: "already_live", device: existing };
      return { kind: "repaired", device: existing, report };
    } finally {
      pipeline.dispose?.();
    }
  }

  private resolveTarget(text: string): SshTarget {
    if (text.includes("@")) return parseSshTarget(text);
    const alias = this.deps.config.ssh_hosts[text];
    if (alias === undefined) {
      const known = Object.keys(this.deps.config.ssh_hosts);
      throw new UserError(
        `there is no SSH host alias "${text}" — give user@host[:port]${known.length ? ` or one of: ${known.join(", ")}` : ", or add it under ssh_hosts in the config"}`,
      );
    }
    return parseSshTarget(alias);
  }
}

/** The same command for an existing device must name the same backend and host. */
function checkSameDevice(existing: Device, via: Backend, target: SshTarget): void {
  if (existing.backend !== via) {
    const what = existing.backend === "wg" ? "a WireGuard device" : "an SSH-only device";
    throw new UserError(
      `${existing.name} is already ${what} — !revoke ${existing.name} first, or pick another name`,
    );
  }
  const current: SshTarget = {
    user: existing.ssh_user ?? "",
    host: existing.ssh_host ?? "",
    port: existing.ssh_port ?? 22,
  };
  if (existing.status === "live" && formatSshTarget(current) !== formatSshTarget(target)) {
    throw new UserError(
      `${existing.name} is already a device at ${formatSshTarget(current)} — !revoke ${existing.name} first to move it to ${formatSshTarget(target)}`,
    );
  }
}

function checkForced(request: AddRequest): { os?: string; arch?: string } | undefined {
  if (!request.os && !request.arch) return undefined;
  if (request.via !== "wg")
    throw new UserError("--os and --arch only apply to --via wg (they pick the agent build)");
  const oses = [...new Set(SUPPORTED_TARGETS.map((t) => t.split("-")[0]!))];
  const arches = [...new Set(SUPPORTED_TARGETS.map((t) => t.split("-")[1]!))];
  if (request.os && !oses.includes(request.os))
    throw new UserError(`--os must be one of ${oses.join(", ")} (not "${request.os}")`);
  if (request.arch && !arches.includes(request.arch))
    throw new UserError(`--arch must be one of ${arches.join(", ")} (not "${request.arch}")`);
  return { ...(request.os ? { os: request.os } : {}), ...(request.arch ? { arch: request.arch } : {}) };
}
