import { randomUUID } from "node:crypto";
import { describeFailure, errorMessage } from "../common/errors";
import type { Logger } from "../common/log";
import { Journal } from "./journal";

/**
 * A step is a value: do, undo and (for idempotent re-runs) check. `do` keeps what its
 * undo will need in `ctx.data` and calls `ctx.save()` before any side effect that undo
 * must be able to find; undo must be safe to run when do stopped half-way.
 */
export interface Step<D> {
  name: string;
  do(ctx: StepContext<D>): Promise<string | void>;
  /** Returns what was undone, for the operator ("peer removed"). */
  undo(ctx: StepContext<D>): Promise<string | void>;
  /** Whether the effect of this step is in place, for a re-run on a live device. */
  check?(ctx: StepContext<D>): Promise<CheckResult>;
  /** Puts a missing effect back on a live device; defaults to do. Returns what was repaired. */
  repair?(ctx: StepContext<D>): Promise<string | void>;
}

export type CheckResult = { ok: true } | { ok: false; problem: string };

export interface StepContext<D> {
  runId: string;
  device: string;
  data: D;
  log: Logger;
  /** Commits ctx.data to the journal now. */
  save: () => void;
}

export interface Pipeline<D> {
  name: string;
  steps: readonly Step<D>[];
  /**
   * "rollback" (an add): a failure undoes what was done, and a crash is rolled back at the
   * next start. "forward" (revoke, repair): every step is tried, a failure is recorded and
   * the run goes on, and a crash is finished — the steps not yet done run at the next start.
   */
  mode?: "rollback" | "forward";
  /** Releases what the steps opened (an SSH connection); called when the run or rollback ends. */
  dispose?(): void;
}

export type ProgressStatus = "running" | "done" | "failed" | "undoing" | "undone" | "undo_failed";

export interface ProgressEvent {
  index: number;
  total: number;
  step: string;
  status: ProgressStatus;
  detail?: string;
}

export interface RunOutcome {
  runId: string;
  ok: boolean;
  failed?: { index: number; step: string; reason: string };
  /** What rollback undid, in the order it happened. */
  undone: string[];
  /** Steps whose undo failed: state the operator must know is left behind. */
  undoFailures: string[];
  /** A forward run: what each step did (or that it failed), in order. */
  steps: StepResult[];
}

export type StepResult =
  | { index: number; step: string; ok: true; detail?: string }
  | { index: number; step: string; ok: false; reason: string };

/** A test fault: after step N of any pipeline, or only of the named one. */
export type Fault = { kind: "fail" | "crash" | "crash-undo"; step: number; pipeline?: string };

/** "fail:7,crash-undo:5,crash:revoke-wg:2": faults, comma-separated; anything else is ignored. */
export function parseFault(spec: string | undefined): Fault[] {
  return (spec ?? "").split(",").flatMap((part) => {
    const match = part.trim().match(/^(fail|crash|crash-undo):(?:([a-z-]+):)?(\d+)$/);
    if (!match) return [];
    const fault: Fault = { kind: match[1] as Fault["kind"], step: Number(match[3]) };
    return [match[2] ? { ...fault, pipeline: match[2] } : fault];
  });
}

/** Runs pipelines step by step, journaling before and after every side effect; rolls back on failure. */
export class Engine {
  constructor(
    private readonly journal: Journal,
    private readonly log: Logger,
    private readonly faults: readonly Fault[] = [],
  ) {}

  async run<D>(
    pipeline: Pipeline<D>,
    device: string,
    data: D,
    onProgress: (e: ProgressEvent) => void,
  ): Promise<RunOutcome> {
    const runId = randomUUID();
    this.journal.begin({
      id: runId,
      device,
      pipeline: pipeline.name,
      steps_total: pipeline.steps.length,
      data: JSON.stringify(data),
    });
    const ctx = this.context(runId, device, data, pipeline.name);
    if (pipeline.mode === "forward") return this.forward(pipeline, ctx, onProgress);
    const total = pipeline.steps.length;
    for (const [i, step] of pipeline.steps.entries()) {
      const index = i + 1;
      onProgress({ index, total, step: step.name, status: "running" });
      this.journal.setStep(runId, index, step.name, "doing");
      try {
        const detail = (await step.do(ctx)) ?? undefined;
        ctx.save();
        this.injectFault("fail", index, pipeline.name);
        this.injectFault("crash", index, pipeline.name);
        this.journal.setStep(runId, index, step.name, "done", detail);
        onProgress({ index, total, step: step.name, status: "done", ...(detail ? { detail } : {}) });
      } catch (error) {
        const reason = describeFailure(ctx.log, `step ${index} ${step.name}`, error);
        this.journal.setStep(runId, index, step.name, "failed", reason);
        onProgress({ index, total, step: step.name, status: "failed", detail: reason });
        // The failed step may have done part of its work: undo it too (undo is idempotent).
        const rollback = await this.rollback(pipeline, ctx, index, onProgress);
        return { runId, ok: false, failed: { index, step: step.name, reason }, ...rollback, steps: [] };
      }
    }
    this.journal.setRunState(runId, "completed");
    return { runId, ok: true, undone: [], undoFailures: [], steps: [] };
  }

  /**
   * Runs every step, each tried whatever the others did; a failure is journaled
   * and reported, never undone. Steps journaled done or failed before (a resumed run) are
   * not run again; the rest are, including one a crash interrupted ("doing").
   */
  private async forward<D>(
    pipeline: Pipeline<D>,
    ctx: StepContext<D>,
    onProgress: (e: ProgressEvent) => void,
  ): Promise<RunOutcome> {
    const total = pipeline.steps.length;
    const earlier = new Map(this.journal.steps(ctx.runId).map((s) => [s.idx, s]));
    const results: StepResult[] = [];
    for (let index = 1; index <= total; index++) {
      const step = pipeline.steps[index - 1]!;
      const before = earlier.get(index);
      if (before?.state === "done" || before?.state === "failed") {
        results.push(
          before.state === "done"
            ? { index, step: step.name, ok: true, ...(before.detail ? { detail: before.detail } : {}) }
            : { index, step: step.name, ok: false, reason: before.detail ?? "failed" },
        );
        continue;
      }
      onProgress({ index, total, step: step.name, status: "running" });
      this.journal.setStep(ctx.runId, index, step.name, "doing");
      try {
        const detail = (await step.do(ctx)) ?? undefined;
        ctx.save();
        this.injectFault("fail", index, pipeline.name);
        this.journal.setStep(ctx.runId, index, step.name, "done", detail);
        results.push({ index, step: step.name, ok: true, ...(detail ? { detail } : {}) });
        onProgress({ index, total, step: step.name, status: "done", ...(detail ? { detail } : {}) });
      } catch (error) {
        const reason = describeFailure(ctx.log, `step ${index} ${step.name}`, error);
        ctx.save();
        this.journal.setStep(ctx.runId, index, step.name, "failed", reason);
        results.push({ index, step: step.name, ok: false, reason });
        onProgress({ index, total, step: step.name, status: "failed", detail: reason });
      }
      this.injectFault("crash", index, pipeline.name);
    }
    this.journal.setRunState(ctx.runId, "completed");
    const failures = results.filter((r) => !r.ok);
    return {
      runId: ctx.runId,
      ok: failures.length === 0,
      undone: [],
      undoFailures: [],
      steps: results,
    };
  }

  /**
   * Finishes what a crash interrupted: a run whose every step was done is marked
   * completed; any other is rolled back from its journal. Returns what was found and done.
   */
  async recover(
    pipelineFor: (name: string, data: unknown) => Pipeline<unknown> | undefined,
  ): Promise<RecoveredRun[]> {
    const recovered: RecoveredRun[] = [];
    for (const run of this.journal.unfinished()) {
      const log = this.log.child({ runId: run.id.slice(0, 8), device: run.device, recovery: true });
      let data: unknown;
      let pipeline: Pipeline<unknown> | undefined;
      let unreadable: string | undefined;
      try {
        data = JSON.parse(run.data);
        pipeline = pipelineFor(run.pipeline, data);
      } catch (error) {
        unreadable = errorMessage(error);
      }
      if (!pipeline) {
        const reason = unreadable ?? `unknown pipeline ${run.pipeline}`;
        log.error({ pipeline: run.pipeline, reason }, "cannot recover an interrupted run");
        this.journal.setRunState(run.id, "rollback_failed", reason);
        recovered.push({
          run: run.id,
          device: run.device,
          pipeline: run.pipeline,
          action: "unrecoverable",
          undone: [],
          undoFailures: [reason],
          steps: [],
        });
        continue;
      }
      const steps = this.journal.steps(run.id);
      if (pipeline.mode === "forward") {
        log.warn("a run was interrupted; finishing it");
        const ctx = this.context(run.id, run.device, data, pipeline.name);
        const outcome = await this.forward(pipeline, ctx, () => undefined).finally(() =>
          pipeline.dispose?.(),
        );
        recovered.push({
          run: run.id,
          device: run.device,
          pipeline: pipeline.name,
          action: "finished",
          undone: [],
          undoFailures: [],
          steps: outcome.steps,
        });
        continue;
      }
      if (
        run.state === "running" &&
        steps.length === pipeline.steps.length &&
        steps.every((s) => s.state === "done")
      ) {
        this.journal.setRunState(run.id, "completed");
        recovered.push({
          run: run.id,
          device: run.device,
          pipeline: pipeline.name,
          action: "completed",
          undone: [],
          undoFailures: [],
          steps: [],
        });
        continue;
      }
      const reached = Math.max(0, ...steps.filter((s) => s.state !== "undone").map((s) => s.idx));
      const ctx = this.context(run.id, run.device, data, pipeline.name);
      log.warn({ reached }, "a run was interrupted; rolling it back");
      const result = await this.rollback(pipeline, ctx, reached, () => undefined).finally(() =>
        pipeline.dispose?.(),
      );
      recovered.push({
        run: run.id,
        device: run.device,
        pipeline: pipeline.name,
        action: "rolled_back",
        ...result,
        steps: [],
      });
    }
    return recovered;
  }

  private async rollback<D>(
    pipeline: Pipeline<D>,
    ctx: StepContext<D>,
    from: number,
    onProgress: (e: ProgressEvent) => void,
  ): Promise<{ undone: string[]; undoFailures: string[] }> {
    this.journal.setRunState(ctx.runId, "rolling_back");
    const undone: string[] = [];
    const undoFailures: string[] = [];
    const total = pipeline.steps.length;
    for (let index = from; index >= 1; index--) {
      const step = pipeline.steps[index - 1]!;
      const previous = this.journal.steps(ctx.runId).find((s) => s.idx === index);
      if (previous?.state === "undone") continue;
      onProgress({ index, total, step: step.name, status: "undoing" });
      this.journal.setStep(ctx.runId, index, step.name, "undoing");
      try {
        const what = (await step.undo(ctx)) ?? undefined;
        ctx.save();
        this.journal.setStep(ctx.runId, index, step.name, "undone", what);
        if (what) undone.push(what);
        onProgress({ index, total, step: step.name, status: "undone", ...(what ? { detail: what } : {}) });
        this.injectFault("crash-undo", index, pipeline.name);
      } catch (error) {
        const reason = errorMessage(error);
        ctx.log.error({ err: error, step: step.name }, "undo failed");
        this.journal.setStep(ctx.runId, index, step.name, "undo_failed", reason);
        undoFailures.push(`${step.name}: ${reason}`);
        onProgress({ index, total, step: step.name, status: "undo_failed", detail: reason });
      }
    }
    this.journal.setRunState(ctx.runId, undoFailures.length > 0 ? "rollback_failed" : "rolled_back");
    return { undone, undoFailures };
  }

  private context<D>(runId: string, device: string, data: D, pipeline: string): StepContext<D> {
    return {
      runId,
      device,
      data,
      log: this.log.child({ runId: runId.slice(0, 8), device, pipeline }),
      save: () => this.journal.saveData(runId, JSON.stringify(data)),
    };
  }

  private injectFault(kind: Fault["kind"], index: number, pipeline: string): void {
    const fault = this.faults.find(
      (f) => f.kind === kind && f.step === index && (f.pipeline === undefined || f.pipeline === pipeline),
    );
    if (!fault) return;
    this.log.warn({ fault }, "test fault injected");
    if (kind === "fail") throw new Error(`test fault injected after step ${index}`);
    process.kill(process.pid, "SIGKILL");
  }
}

export interface RecoveredRun {
  run: string;
  device: string;
  pipeline: string;
  /**
   * completed: an add whose every step was done; rolled_back: an add undone; finished: a
   * forward run resumed; unrecoverable: its journal could not be read (undoFailures says why).
   */
  action: "completed" | "rolled_back" | "finished" | "unrecoverable";
  undone: string[];
  undoFailures: string[];
  /** A finished forward run: what each step did. */
  steps: StepResult[];
}
