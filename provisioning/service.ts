import { UserError } from "../common/errors";
import type { Logger } from "../common/log";
import type { Config } from "../config/schema";
import type { HostKeyStore } from "../ssh/host-keys";
import { formatSshTarget, parseSshTarget, type SshTarget } from "../ssh/target";
import type { Device, DeviceStore } from "../state/devices";
import type { Engine, Pipeline, ProgressEvent, RunOutcome } from "./engine";
import { ActiveRunError } from "./journal";
import { validateDeviceName } from "./names";
import type { MatrixProvisioner } from "./ports";
import { checkAndRepair, type RepairReport } from "./repair";
import { SSH_PIPELINE, sshAddPipeline, type SshAddData, type SshPipelineDeps } from "./ssh-pipeline";

export interface AddSshRequest {
  name: string;
  /** user@host[:port], or an alias from ssh_hosts. */
  ssh: string;
  keyFile?: string;
}

export type AddResult =
  | { kind: "added"; outcome: RunOutcome; total: number }
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
  devices: DeviceStore;
  hostKeys: HostKeyStore;
  matrix: MatrixProvisioner;
  readKey: (path: string) => Buffer;
  log: Logger;
}

/** Adding devices: validation, idempotency (already live, or repaired), and the pipeline run. */
export class ProvisioningService {
  constructor(private readonly deps: ServiceDeps) {}

  /**
   * Checks everything that can be checked without touching anything (name, target, key)
   * and returns the run to execute; bad input throws a UserError here, before any progress.
   */
  prepareSsh(request: AddSshRequest): PreparedAdd {
    validateDeviceName(request.name);
    const target = this.resolveTarget(request.ssh);
    const keyFile = request.keyFile ?? this.deps.config.ssh.key_file;
    if (!keyFile)
      throw new UserError("no SSH key is configured — set ssh.key_file in the config, or pass --key PATH");
    this.deps.readKey(keyFile);
    const pipeline = sshAddPipeline(this.pipelineDeps(keyFile));
    const total = pipeline.steps.length;
    return {
      name: request.name,
      total,
      execute: async (onProgress) => {
        const existing = this.deps.devices.get(request.name);
        if (existing?.status === "live") return this.recheck(existing, target, keyFile, pipeline);
        const data: SshAddData = { name: request.name, target, keyFile };
        try {
          const outcome = await this.deps.engine.run(pipeline, request.name, data, onProgress);
          return { kind: outcome.ok ? "added" : "failed", outcome, total };
        } catch (error) {
          if (error instanceof ActiveRunError) {
            throw new UserError(`${request.name} is being added right now — wait for that to finish`);
          }
          throw error;
        }
      },
    };
  }

  /** The pipeline a journaled run belongs to, for crash recovery. */
  pipelineFor(name: string, data: unknown): Pipeline<unknown> | undefined {
    if (name !== SSH_PIPELINE) return undefined;
    const keyFile = (data as Partial<SshAddData>).keyFile ?? this.deps.config.ssh.key_file ?? "";
    return sshAddPipeline(this.pipelineDeps(keyFile));
  }

  private async recheck(
    existing: Device,
    target: SshTarget,
    keyFile: string,
    pipeline: Pipeline<SshAddData>,
  ): Promise<AddResult> {
    if (existing.backend !== "ssh") {
      throw new UserError(
        `${existing.name} is already a WireGuard device — !revoke ${existing.name} first, or pick another name`,
      );
    }
    const current: SshTarget = {
      user: existing.ssh_user ?? "",
      host: existing.ssh_host ?? "",
      port: existing.ssh_port ?? 22,
    };
    if (formatSshTarget(current) !== formatSshTarget(target)) {
      throw new UserError(
        `${existing.name} is already a device at ${formatSshTarget(current)} — !revoke ${existing.name} first to move it to ${formatSshTarget(target)}`,
      );
    }
    const data: SshAddData = { name: existing.name, target, keyFile, roomId: existing.room_id ?? undefined };
    const log = this.deps.log.child({ device: existing.name, repair: true });
    const report = await checkAndRepair(
      pipeline,
      { runId: "recheck", device: existing.name, data, log, save: () => undefined },
      log,
    );
    if (report.repaired.length === 0 && report.failed.length === 0)
      return { kind: "already_live", device: existing };
    return { kind: "repaired", device: existing, report };
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

  private pipelineDeps(keyFile: string): SshPipelineDeps {
    const { config, devices, hostKeys, matrix, readKey } = this.deps;
    return {
      config: { ...config, ssh: { ...config.ssh, key_file: keyFile } },
      devices,
      hostKeys,
      matrix,
      readKey,
    };
  }
}
