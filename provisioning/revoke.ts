import { errorMessage, isUserError, UserError } from "../common/errors";
import type { Logger } from "../common/log";
import type { HostKeyStore } from "../ssh/host-keys";
import { formatSshTarget, hostKeyId } from "../ssh/target";
import { removeAgentSecret } from "../state/agent-secret";
import { sshTargetOf, type Backend, type Device, type DeviceStore } from "../state/devices";
import type { Engine, Pipeline, ProgressEvent, Step, StepResult } from "./engine";
import type { Journal } from "./journal";
import type { MatrixProvisioner } from "./ports";
import { parseRunData, parseRunValue, revokeDataSchema, wgAddDataSchema, type RevokeData } from "./run-data";
import { closeRoomStep } from "./steps/room";
import { WgRun, type WgDeps } from "./wg/run";
import { allocateStep } from "./wg/steps/allocate";
import { hubPeerStep } from "./wg/steps/hub-peer";
import { installAgentStep } from "./wg/steps/install-agent";
import { startAgentStep } from "./wg/steps/start-agent";
import { tunnelStep } from "./wg/steps/tunnel";
import type { SshTarget } from "../ssh/target";
import { PULL_PIPELINE, REENROLL_PIPELINE } from "./pull/pipeline";
import { uninstallPath } from "./pull/stage2";
import { BUNDLE_PIPELINE } from "./bundle/data";

export const REVOKE_PIPELINES: Record<Backend, string> = { wg: "revoke-wg", ssh: "revoke-ssh" };

export interface RevokeDeps {
  devices: DeviceStore;
  journal: Journal;
  engine: Engine;
  hostKeys: HostKeyStore;
  matrix: MatrixProvisioner;
  stateDir: string;
  /** The WireGuard steps' deps; undefined when the mesh is not configured. */
  wg: WgDeps | undefined;
  /** The key file when no add run recorded one (ssh.key_file). */
  defaultKeyFile: string | undefined;
  /** Drops the SSH pool's connection to an SSH-only device. */
  closePooled(target: SshTarget): void;
  now: () => Date;
  log: Logger;
}

export type RevokeResult =
  | { kind: "already_revoked"; device: Device }
  | { kind: "revoked"; done: string[]; left: string[]; runId: string };

/**
 * Revoke as a journaled forward run of the add's undos: the hub peer first (the device
 * loses the mesh at once), then the agent, its files and the tunnel on the device, the
 * mesh IP, the room, and the row marked revoked. Every step is tried; one that fails
 * (typically: the device is unreachable) says exactly what it left, and the run goes on,
 * so the hub and bot side always complete. A crash mid-revoke is finished at the next start.
 */
export function revokePipeline(
  deps: RevokeDeps,
  data: Pick<RevokeData, "backend" | "retry" | "pulled">,
): Pipeline<RevokeData> {
  const wanted = (steps: Step<RevokeData>[]): Step<RevokeData>[] =>
    data.retry ? steps.filter((s) => s.name === MARK_REVOKED || data.retry!.includes(s.name)) : steps;
  if (data.backend === "ssh") {
    return {
      name: REVOKE_PIPELINES.ssh,
      mode: "forward",
      steps: wanted([
        {
          name: "closing the SSH connection",
          do: (ctx) => {
            deps.closePooled(ctx.data.target);
            return Promise.resolve("SSH connection closed");
          },
          undo: () => Promise.resolve(),
        },
        closeRoomStep(deps.matrix, deps.now),
        markRevokedStep(deps),
      ]),
    };
  }
  if (!deps.wg)
    throw new UserError(
      "the mesh is not configured — add the mesh: section back to revoke a WireGuard device",
    );
  const run = new WgRun(deps.wg);
  const ifname = deps.wg.mesh.interface;
  const where = (d: RevokeData): string => `on ${formatSshTarget(d.target)}`;
  const home = (d: RevokeData): string => d.facts?.home ?? "the user's home";
  return {
    name: REVOKE_PIPELINES.wg,
    mode: "forward",
    steps: wanted([
      undoing(
        "removing the hub peer",
        hubPeerStep(run),
        (d) => `the hub still has ${d.name}'s peer (${d.publicKey ?? "key unknown"})`,
      ),
      ...(data.pulled
        ? [pulledPcStep(run)]
        : [
            undoing(
              "stopping the agent",
              startAgentStep(run),
              (d) => `${where(d)}, the agent may still run (service meshpilot-agent as ${d.target.user})`,
            ),
            undoing(
              "removing the agent's files",
              installAgentStep(run),
              (d) =>
                `${where(d)}, the agent's files are still there (${d.facts ? run.layout(d).owned.join(", ") : `under ${home(d)}`})`,
            ),
            undoing(
              "removing the tunnel",
              tunnelStep(run),
              (d) =>
                `${where(d)}, the tunnel config is still there (${d.facts ? run.adapter(d).tunnelConfigPath(ifname) : `/etc/wireguard/${ifname}.conf`})`,
            ),
          ]),
      undoing("freeing the mesh IP", allocateStep(run), (d) => `${d.meshIp ?? "the mesh IP"} is still held`),
      closeRoomStep(deps.matrix, deps.now),
      markRevokedStep(deps),
    ]),
    dispose: () => run.dispose(),
  };
}

const MARK_REVOKED = "marking it revoked";

/**
 * A PC enrolled by pull (or from a bundle) cannot be reached by the bot (no SSH; its peer is gone first, so
 * not over the mesh either): its side is left to its owner, and said so, with the command.
 */
function pulledPcStep(run: WgRun): Step<RevokeData> {
  return {
    name: "removing the agent and tunnel on the PC",
    do: (ctx) => {
      const d = ctx.data;
      const script = d.facts
        ? uninstallPath(run.layout(d), d.facts.os)
        : "the uninstall script under the agent's folder";
      const how = d.facts?.os === "windows" ? `powershell -File ${script}` : `sudo sh ${script}`;
      throw new UserError(
        `${d.name} was enrolled by pull or from a bundle, so the hub cannot reach it; it is cut off from the mesh — to remove the agent and tunnel, run on the PC: ${how}`,
      );
    },
    undo: () => Promise.resolve(),
  };
}

/** An add step's undo as a revoke step; a failure names what is left behind, and why. */
function undoing(name: string, step: Step<RevokeData>, left: (data: RevokeData) => string): Step<RevokeData> {
  return {
    name,
    do: async (ctx) => {
      try {
        return (await step.undo(ctx)) ?? undefined;
      } catch (error) {
        const why = isUserError(error)
          ? error.message
          : `an internal error (${errorMessage(error).slice(0, 120)})`;
        throw new UserError(`${left(ctx.data)} — ${why}`);
      }
    },
    undo: () => Promise.resolve(),
  };
}

/** The last step: the row marked revoked; with nothing left on the device, its host key pin goes too. */
function markRevokedStep(deps: RevokeDeps): Step<RevokeData> {
  return {
    name: MARK_REVOKED,
    do: (ctx) => {
      deps.devices.update(ctx.data.name, { status: "revoked", mesh_ip: null });
      const failed = deps.journal.steps(ctx.runId).some((s) => s.state === "failed");
      if (failed) return Promise.resolve("marked revoked");
      // Another device on the same host:port still relies on the pin.
      if (pinSharedWith(deps.devices, ctx.data.name, ctx.data.target))
        return Promise.resolve("marked revoked (host key kept: another device uses it)");
      // A reinstalled machine can then be added again; with leftovers, a later revoke still needs the pin.
      deps.hostKeys.forget(hostKeyId(ctx.data.target));
      return Promise.resolve("marked revoked, host key unpinned");
    },
    undo: () => Promise.resolve(),
  };
}

/** Takes devices away (revoke), cleans up what an earlier revoke left, and forgets them. */
export class Revoker {
  constructor(private readonly deps: RevokeDeps) {}

  /** A provisioning or revoke run of this device is in flight. */
  busy(name: string): boolean {
    return this.deps.journal.active(name) !== undefined;
  }

  /** Throws a UserError for a device that cannot be revoked now; returns it otherwise. */
  check(name: string): Device {
    const device = this.deps.devices.get(name);
    if (!device) throw new UserError(`there is no device ${name} — !health lists them`);
    if (device.status === "provisioning" || this.busy(name))
      throw new UserError(`${name} is being added or revoked right now — wait for that to finish`);
    return device;
  }

  /** What an earlier revoke of this (revoked) device could not do, by step; empty when nothing is left. */
  leftovers(name: string): StepResult[] {
    const last = this.deps.journal.latestOf(name, Object.values(REVOKE_PIPELINES));
    if (!last || last.state !== "completed") return [];
    return this.deps.journal
      .steps(last.id)
      .filter((s) => s.state === "failed")
      .map((s) => ({ index: s.idx, step: s.name, ok: false as const, reason: s.detail ?? "failed" }));
  }

  async revoke(
    name: string,
    by: string,
    onProgress: (e: ProgressEvent) => void = () => undefined,
  ): Promise<RevokeResult> {
    const device = this.check(name);
    const retry = device.status === "revoked" ? this.leftovers(name).map((s) => s.step) : undefined;
    if (retry?.length === 0) return { kind: "already_revoked", device };
    const data: RevokeData = { ...this.dataFor(device), by, ...(retry ? { retry } : {}) };
    const pipeline = revokePipeline(this.deps, data);
    try {
      const outcome = await this.deps.engine.run(pipeline, name, data, onProgress);
      const done = outcome.steps.flatMap((s) => (s.ok && s.detail ? [s.detail] : []));
      const left = outcome.steps.flatMap((s) => (s.ok ? [] : [s.reason]));
      return { kind: "revoked", done, left, runId: outcome.runId };
    } finally {
      pipeline.dispose?.();
    }
  }

  /**
   * Drops a revoked device's record for good, accepting whatever a revoke left on it:
   * the row, its host key pin and the bot's copy of its secret.
   */
  forget(name: string): string[] {
    const device = this.check(name);
    if (device.status !== "revoked")
      throw new UserError(`${name} is ${device.status} — revoke it first (!revoke ${name}), then forget it`);
    const target = sshTargetOf(device);
    this.deps.devices.remove(name);
    const shared = pinSharedWith(this.deps.devices, name, target);
    if (!shared) this.deps.hostKeys.forget(hostKeyId(target));
    removeAgentSecret(this.deps.stateDir, name);
    return [
      "device record removed",
      shared
        ? `host key of ${formatSshTarget(target)} kept (another device uses it)`
        : `host key of ${formatSshTarget(target)} unpinned`,
      "agent secret removed",
    ];
  }

  /** The pipeline a journaled revoke belongs to, for crash recovery. */
  pipelineFor(name: string, raw: unknown): Pipeline<unknown> | undefined {
    if (!Object.values(REVOKE_PIPELINES).includes(name)) return undefined;
    const data = parseRunValue(revokeDataSchema, raw, `a revoke (${name})`);
    return revokePipeline(this.deps, data);
  }

  /**
   * The device as its last add or repair left it (the journal: keys, facts, key file),
   * with where it is from its row. A retry of a revoked device reads the same: what the
   * first revoke could not undo is still described by the add.
   */
  private dataFor(device: Device): Omit<RevokeData, "by"> {
    const row = {
      name: device.name,
      backend: device.backend,
      target: sshTargetOf(device),
      ...(device.room_id ? { roomId: device.room_id } : {}),
      ...(device.mesh_ip ? { meshIp: device.mesh_ip } : {}),
    };
    const run = this.deps.journal.latestKnown(device.name);
    const added = run ? parseRunData(wgAddDataSchema.partial(), run.data, `${device.name}'s last add`) : {};
    // A bundled PC is like a pulled one: the bot never had a way in but the (now removed) peer.
    const pulled =
      run !== undefined && [PULL_PIPELINE, REENROLL_PIPELINE, BUNDLE_PIPELINE].includes(run.pipeline);
    return {
      ...added,
      ...row,
      keyFile: added.keyFile ?? this.deps.defaultKeyFile ?? "",
      ...(pulled ? { pulled: true } : {}),
    };
  }
}

/** Whether a device other than `name`, not revoked, is reached at the same host:port (and so needs its pin). */
function pinSharedWith(devices: DeviceStore, name: string, target: SshTarget): boolean {
  const id = hostKeyId(target);
  return devices
    .list()
    .some((d) => d.name !== name && d.status !== "revoked" && hostKeyId(sshTargetOf(d)) === id);
}
