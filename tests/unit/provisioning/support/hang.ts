import type { Logger } from "../../../../common/log";
import { Engine, type Pipeline, type ProgressEvent, type RunOutcome } from "../../../../provisioning/engine";
import type { Journal } from "../../../../provisioning/journal";

/**
 * A crash, as the journal sees it: a side effect that never returns. Whatever the engine
 * wrote before it is exactly what a killed bot leaves behind; `reached` says when.
 */
export class Hang {
  private release!: () => void;
  readonly reached = new Promise<void>((resolve) => (this.release = resolve));

  hit(): Promise<never> {
    this.release();
    return new Promise<never>(() => undefined);
  }

  /** Waits until the run is stuck here; a run that ends first (it never got here) is an error. */
  async stuck(run: Promise<unknown>): Promise<void> {
    await Promise.race([
      this.reached,
      run.then((outcome) => {
        throw new Error(`the run ended before it hung: ${JSON.stringify(outcome)}`);
      }),
    ]);
  }
}

/**
 * The real engine, whose run of one pipeline stops for good right after step N's `do`
 * has done its work and before the engine records it: the moment a crash is most likely
 * to lose what `do` learned.
 */
export class HangingEngine extends Engine {
  constructor(
    journal: Journal,
    log: Logger,
    private readonly at: { pipeline: string; step: number; hang: Hang },
  ) {
    super(journal, log);
  }

  override run<D>(
    pipeline: Pipeline<D>,
    device: string,
    data: D,
    onProgress: (e: ProgressEvent) => void,
  ): Promise<RunOutcome> {
    if (pipeline.name !== this.at.pipeline) return super.run(pipeline, device, data, onProgress);
    const steps = pipeline.steps.map((step, i) =>
      i + 1 === this.at.step
        ? {
            ...step,
            do: async (ctx: Parameters<typeof step.do>[0]) => {
              await step.do(ctx);
              return this.at.hang.hit();
            },
          }
        : step,
    );
    return super.run({ ...pipeline, steps }, device, data, onProgress);
  }
}
