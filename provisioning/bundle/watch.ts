import { errorMessage } from "../../common/errors";
import type { Logger } from "../../common/log";
import type { Engine } from "../engine";
import type { Journal } from "../journal";
import type { Enrollment } from "../pull/tokens";
import { parseRunData } from "../run-data";
import { BUNDLE_PIPELINE, bundleDataSchema, type BundleData } from "./data";
import { expireBundlePipeline, finishBundlePipeline, type FinishDeps } from "./pipeline";

export interface WatchDeps extends FinishDeps {
  engine: Engine;
  journal: Journal;
  /** A sentence for the operators in the control room (it mentions them: it pushes). */
  tell: (text: string) => void;
  log: Logger;
  intervalMs: number;
  now?: () => number;
}

/**
 * The bot's side of bundles. A bundled PC cannot reach the bot; the bot sees it when the
 * bundle's key first shakes hands at the hub, and then finishes it over the mesh (signed
 * /health, agent user and room, hello). A bundle past its time with no PC is rolled back.
 * Ticks only read the hub when a bundle is pending.
 */
export class BundleWatcher {
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;

  constructor(private readonly deps: WatchDeps) {}

  start(): void {
    this.timer ??= setInterval(() => void this.tick(), this.deps.intervalMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.ticking;
  }

  /** Pending bundles, for !enroll. */
  pending(): Enrollment[] {
    return this.deps.enrollments.pendingBundles();
  }

  /** One pass; concurrent calls share it. */
  tick(): Promise<void> {
    this.ticking ??= this.pass()
      .catch((error: unknown) => this.deps.log.error({ err: error }, "bundle watch failed"))
      .finally(() => (this.ticking = undefined));
    return this.ticking;
  }

  /** `!enroll cancel <name>` for a bundle: rolled back like an expired one. Resolves false when there is none. */
  async cancel(name: string, by: string): Promise<boolean> {
    const row = this.pending().find((e) => e.name === name);
    const data = row && this.addData(row);
    if (!row || !data) return false;
    await this.expire(row, data, `cancelled by ${by}`);
    return true;
  }

  private async pass(): Promise<void> {
    const pending = this.pending();
    if (pending.length === 0) return;
    const handshakes = await this.deps.hub.handshakes();
    const now = (this.deps.now ?? Date.now)();
    for (const row of pending) {
      if (this.deps.journal.active(row.name)) continue;
      const data = this.addData(row);
      if (!data || this.deps.devices.get(row.name)?.status !== "provisioning") continue;
      const shook = (handshakes.get(row.public_key ?? "") ?? 0) > 0;
      if (shook && (await this.finish(row, data))) continue;
      if (now >= row.expires_at) await this.expire(row, data, "expired");
    }
  }

  private async finish(row: Enrollment, data: BundleData): Promise<boolean> {
    const log = this.deps.log.child({ device: row.name, pipeline: "finish-bundle" });
    const outcome = await this.deps.engine.run(
      finishBundlePipeline(this.deps),
      row.name,
      data,
      () => undefined,
    );
    if (!outcome.ok) {
      log.warn({ failed: outcome.failed }, "a bundled PC shook hands, but finishing it failed; trying again");
      return false;
    }
    const alias = this.deps.matrix.roomAlias(row.name);
    this.deps.tell(
      `✓ agent-${row.name} live — installed from a bundle (${row.os}/${row.arch}, ${data.meshIp}); say hi in ${alias}. ` +
        `Delete ${data.out} on the hub and any other copy: it holds the PC's private key.`,
    );
    return true;
  }

  private async expire(row: Enrollment, data: BundleData, reason: string): Promise<void> {
    try {
      const outcome = await this.deps.engine.run(
        expireBundlePipeline(this.deps),
        row.name,
        { ...data, reason },
        () => undefined,
      );
      const left = outcome.steps.flatMap((s) => (s.ok ? [] : [s.reason]));
      this.deps.tell(
        `The bundle for ${row.name} was ${reason === "expired" ? "not installed in time" : reason}: ` +
          `its hub peer, mesh IP ${data.meshIp ?? "?"} and name were released` +
          (left.length ? `; left: ${left.join("; ")}` : "") +
          `. If a PC installs it now, its tunnel gets no answer — make a new bundle.`,
      );
    } catch (error) {
      this.deps.log.error(
        { err: error, device: row.name },
        `could not roll back a bundle: ${errorMessage(error)}`,
      );
    }
  }

  /** The completed add-bundle run this enrollment came from. */
  private addData(row: Enrollment): BundleData | undefined {
    const run = this.deps.journal.latestOf(row.name, [BUNDLE_PIPELINE]);
    if (!run || run.state !== "completed") return undefined;
    const data = parseRunData(bundleDataSchema, run.data, `${row.name}'s bundle`);
    return data.tokenHash === row.token_hash ? data : undefined;
  }
}
