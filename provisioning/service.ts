import { UserError } from "../common/errors";
import type { Logger } from "../common/log";
import type { Config } from "../config/schema";
import type { HostKeyStore } from "../ssh/host-keys";
import { formatSshTarget, parseSshTarget, type SshTarget } from "../ssh/target";
import { sshTargetOf, type Backend, type Device, type DeviceStore } from "../state/devices";
import type { Engine, Pipeline, ProgressEvent, RunOutcome } from "./engine";
import { ActiveRunError, type Journal } from "./journal";
import { validateDeviceName } from "./names";
import type { MatrixProvisioner } from "./ports";
import { repairName, repairPipeline, repairReport, type RepairReport } from "./repair";
import {
  parseRunData,
  parseRunValue,
  sshAddDataSchema,
  wgAddDataSchema,
  type SshAddData,
  type WgAddData,
} from "./run-data";
import { SSH_PIPELINE, sshAddPipeline } from "./ssh-pipeline";
import type { Connector } from "./ssh-session";
import { pickAdapter } from "./targets";
import { SUPPORTED_TARGETS } from "./targets/builds";
import { WG_PIPELINE, wgAddPipeline } from "./wg/pipeline";
import type { WgDeps } from "./wg/run";

export interface AddRequest {
  name: string;
  via: Backend;
  /** user@host[:port], or an alias from ssh_hosts. */
  ssh: string;
  keyFile?: string;
  os?: string;
  arch?: string;
  /** The operator asking (kept in the journal). */
  by?: string;
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
  connect: Connector;
  readKey: (path: string) => Buffer;
  /** The WireGuard steps' deps, for --via wg; undefined when the mesh is not configured. */
  wg: WgDeps | undefined;
  log: Logger;
}

type AnyAdd = Pipeline<SshAddData> | Pipeline<WgAddData>;

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
    const total = this.pipeline(request.via).steps.length;
    return {
      name: request.name,
      total,
      execute: async (onProgress) => {
        const pipeline = this.pipeline(request.via);
        const existing = this.deps.devices.get(request.name);
        try {
          if (existing?.status === "live") return await this.repair(existing, target, keyFile, pipeline);
          const data: SshAddData | WgAddData = {
            name: request.name,
            target,
            keyFile,
            ...(forced ? { forced } : {}),
            ...(request.by ? { by: request.by } : {}),
          };
          const outcome = await this.deps.engine.run(pipeline, request.name, data, onProgress);
          return outcome.ok ? { kind: "added", outcome, total, data } : { kind: "failed", outcome, total };
        } catch (error) {
          if (error instanceof ActiveRunError)
            throw new UserError(
              `${request.name} is being added or revoked right now — wait for that to finish`,
            );
          throw error;
        } finally {
          pipeline.dispose?.();
        }
      },
    };
  }

  /** The pipeline a journaled add or repair belongs to, for crash recovery. */
  pipelineFor(name: string, data: unknown): Pipeline<unknown> | undefined {
    if (name === SSH_PIPELINE || name === WG_PIPELINE) {
      const via: Backend = name === SSH_PIPELINE ? "ssh" : "wg";
      parseRunValue(via === "ssh" ? sshAddDataSchema : wgAddDataSchema, data, `an add (${name})`);
      return this.pipeline(via);
    }
    if (name === repairName(SSH_PIPELINE) || name === repairName(WG_PIPELINE)) {
      const via: Backend = name === repairName(SSH_PIPELINE) ? "ssh" : "wg";
      parseRunValue(via === "ssh" ? sshAddDataSchema : wgAddDataSchema, data, `a repair (${name})`);
      return repairPipeline(this.pipeline(via) as Pipeline<unknown>);
    }
    return undefined;
  }

  /** The key file a device was added with, from its journal. */
  keyFileOf(name: string): string | undefined {
    const run = this.deps.journal.latestKnown(name);
    return run ? parseRunData(sshAddDataSchema.partial(), run.data, `${name}'s last add`).keyFile : undefined;
  }

  /** The WireGuard public key a device has now, from its journal. */
  publicKeyOf(name: string): string | undefined {
    const run = this.deps.journal.latestKnown(name);
    return run
      ? parseRunData(wgAddDataSchema.partial(), run.data, `${name}'s last add`).publicKey
      : undefined;
  }

  private pipeline(via: Backend): AnyAdd {
    const { config, devices, hostKeys, matrix, connect, wg } = this.deps;
    if (via === "ssh") return sshAddPipeline({ config, devices, hostKeys, matrix, connect });
    if (!wg)
      throw new UserError("the mesh is not configured — add a mesh: section to the config to use --via wg");
    return wgAddPipeline(wg);
  }

  /**
   * A live device added again: a journaled repair run of every step's check (and of the
   * fix where a check fails), from what the device is now (its last add or repair).
   */
  private async repair(
    existing: Device,
    target: SshTarget,
    keyFile: string,
    add: AnyAdd,
  ): Promise<AddResult> {
    const lastRun = this.deps.journal.latestKnown(existing.name);
    const schema = existing.backend === "ssh" ? sshAddDataSchema : wgAddDataSchema;
    const previous = lastRun
      ? parseRunData(schema.partial(), lastRun.data, `${existing.name}'s last add`)
      : {};
    const data = {
      ...previous,
      name: existing.name,
      target,
      keyFile,
      ...(existing.room_id ? { roomId: existing.room_id } : {}),
    } as WgAddData;
    const pipeline = repairPipeline(add as Pipeline<WgAddData>);
    const outcome = await this.deps.engine.run(pipeline, existing.name, data, () => undefined);
    const report = repairReport(outcome, pipeline.problems);
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
}

/** The same command for an existing device must name the same backend and host. */
function checkSameDevice(existing: Device, via: Backend, target: SshTarget): void {
  if (existing.backend !== via) {
    const what = existing.backend === "wg" ? "a WireGuard device" : "an SSH-only device";
    throw new UserError(
      `${existing.name} is already ${what} — !revoke ${existing.name} first, or pick another name`,
    );
  }
  const current = sshTargetOf(existing);
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
  // An OS/arch no adapter can enroll over SSH is refused before connecting to anything.
  if (request.os) {
    const picked = pickAdapter(
      { os: request.os, ...(request.arch ? { arch: request.arch } : {}) },
      request.name,
    );
    if ("refusal" in picked) throw new UserError(picked.refusal);
  }
  return { ...(request.os ? { os: request.os } : {}), ...(request.arch ? { arch: request.arch } : {}) };
}
