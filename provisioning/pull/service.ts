import { UserError } from "../../common/errors";
import type { DeviceStore } from "../../state/devices";
import type { Engine, Pipeline, ProgressEvent, RunOutcome } from "../engine";
import { ActiveRunError } from "../journal";
import { validateDeviceName } from "../names";
import { parseRunValue, pullAddDataSchema, type PullAddData } from "../run-data";
import { adapterFor } from "../targets";
import { SUPPORTED_TARGETS } from "../targets/builds";
import { PULL_PIPELINE, pullAddPipeline, REENROLL_PIPELINE } from "./pipeline";
import type { PullDeps } from "./run";
import { oneLiner } from "./stage1";
import type { Enrollment } from "./tokens";

export interface PullRequest {
  name: string;
  os?: string | undefined;
  arch?: string | undefined;
  /** The operator's MXID: the link is attributed to them. */
  by: string;
}

export type PullResult =
  | { kind: "added" | "reenrolled"; outcome: RunOutcome; total: number; data: PullAddData }
  | { kind: "failed"; outcome: RunOutcome; total: number };

export interface PreparedPull {
  name: string;
  reenroll: boolean;
  total: number;
  /** What the operator runs on the PC (it holds the token: shown once, never logged). */
  command: string;
  expiresAt: number;
  execute(onProgress: (e: ProgressEvent) => void): Promise<PullResult>;
}

export interface PullServiceDeps {
  engine: Engine;
  devices: DeviceStore;
  /** Undefined when enroll: or mesh: is not configured. */
  pull: PullDeps | undefined;
  ttlS: number;
  /** The WireGuard public key a device has now (its last add or repair). */
  publicKeyOf(name: string): string | undefined;
}

/** `!add-pc <name> --via pull`, `!enroll`, `!enroll cancel <name>`. */
export class PullService {
  constructor(private readonly deps: PullServiceDeps) {}

  prepare(request: PullRequest): PreparedPull {
    validateDeviceName(request.name);
    const pull = this.deps.pull;
    if (!pull)
      throw new UserError(
        "pull enrollment is not configured — add an enroll: section (and mesh:) to the config; see docs/operations.md",
      );
    const os = request.os ?? "linux";
    const arch = request.arch ?? "amd64";
    if (!adapterFor(os, arch) || !(SUPPORTED_TARGETS as readonly string[]).includes(`${os}-${arch}`))
      throw new UserError(
        `there is no device agent for ${os}/${arch} — supported: ${SUPPORTED_TARGETS.join(", ")} (as --os OS --arch ARCH)`,
      );
    const existing = this.deps.devices.get(request.name);
    let previousPublicKey: string | undefined;
    if (existing?.status === "provisioning")
      throw new UserError(`${request.name} is being added or revoked right now — wait for that to finish`);
    if (existing?.status === "live") {
      if (existing.backend !== "wg")
        throw new UserError(
          `${request.name} is already an SSH-only device — !revoke ${request.name} first, or pick another name`,
        );
      previousPublicKey = this.deps.publicKeyOf(request.name);
      if (!previousPublicKey)
        throw new UserError(
          `${request.name}'s current key is not in the journal — !revoke ${request.name} and add it again`,
        );
    }
    const reenroll = previousPublicKey !== undefined;
    const { token, enrollment } = pull.enrollments.create({
      name: request.name,
      os,
      arch,
      profile: "default",
      by: request.by,
      ttlS: this.deps.ttlS,
    });
    pull.rendezvous.open(enrollment.token_hash);
    const pipeline = pullAddPipeline(pull, token, { reenroll });
    const data: PullAddData = {
      name: request.name,
      pulled: true,
      by: request.by,
      os,
      arch,
      tokenHash: enrollment.token_hash,
      expiresAt: enrollment.expires_at,
      ...(previousPublicKey ? { previousPublicKey } : {}),
      ...(previousPublicKey && existing?.room_id ? { roomId: existing.room_id } : {}),
    };
    return {
      name: request.name,
      reenroll,
      total: pipeline.steps.length,
      command: oneLiner(os, pipeline.run.linkUrl()),
      expiresAt: enrollment.expires_at,
      execute: async (onProgress) => {
        try {
          const outcome = await this.deps.engine.run(pipeline, request.name, data, onProgress);
          const total = pipeline.steps.length;
          if (!outcome.ok) return { kind: "failed", outcome, total };
          return { kind: reenroll ? "reenrolled" : "added", outcome, total, data };
        } catch (error) {
          pull.enrollments.void(enrollment.token_hash, "cancelled");
          pull.rendezvous.end(
            enrollment.token_hash,
            "the enrollment could not start on the hub — ask for a new link",
          );
          if (error instanceof ActiveRunError)
            throw new UserError(
              `${request.name} is being added or revoked right now — wait for that to finish`,
            );
          throw error;
        }
      },
    };
  }

  /** Pending links, for `!enroll`. */
  pending(): Enrollment[] {
    return this.deps.pull?.enrollments.pending() ?? [];
  }

  /** `!enroll cancel <name>`: its pending links die, a run waiting on one rolls back; devices are untouched. */
  cancel(name: string, by: string): number {
    const pull = this.deps.pull;
    if (!pull) return 0;
    const pending = pull.enrollments.pending().filter((e) => e.name === name);
    pull.enrollments.cancel(name);
    for (const e of pending) pull.rendezvous.end(e.token_hash, `the link for ${name} was cancelled by ${by}`);
    return pending.length;
  }

  /** Crash recovery: a pull run is rolled back (its link died with the process). */
  pipelineFor(name: string, raw: unknown): Pipeline<unknown> | undefined {
    if (name !== PULL_PIPELINE && name !== REENROLL_PIPELINE) return undefined;
    if (!this.deps.pull)
      throw new UserError("a pull enrollment was interrupted, and enroll: is no longer configured");
    const data = parseRunValue(pullAddDataSchema, raw, `a pull enrollment (${name})`);
    return pullAddPipeline(this.deps.pull, "", {
      reenroll: data.previousPublicKey !== undefined,
    });
  }
}
