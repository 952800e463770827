import type { Logger } from "../common/log";
import { describeFailure } from "../common/errors";
import type { Pipeline, StepContext } from "./engine";

export interface RepairReport {
  /** Each step whose check failed, with what was wrong and what was done. */
  repaired: Array<{ step: string; problem: string; action?: string }>;
  /** Steps whose check failed and whose do failed again. */
  failed: Array<{ step: string; problem: string; reason: string }>;
}

/**
 * For a device that is already live: runs every step's check, and the do of each step
 * whose effect is missing. Nothing is rolled back — a live device is never torn down by
 * a repair — and a healthy device is not touched at all.
 */
export async function checkAndRepair<D>(
  pipeline: Pipeline<D>,
  ctx: StepContext<D>,
  log: Logger,
): Promise<RepairReport> {
  const report: RepairReport = { repaired: [], failed: [] };
  for (const step of pipeline.steps) {
    if (!step.check) continue;
    const result = await step.check(ctx);
    if (result.ok) continue;
    log.info({ step: step.name, problem: result.problem }, "repairing");
    try {
      const action = (await (step.repair ?? step.do)(ctx)) ?? undefined;
      ctx.save();
      report.repaired.push({ step: step.name, problem: result.problem, ...(action ? { action } : {}) });
    } catch (error) {
      report.failed.push({
        step: step.name,
        problem: result.problem,
        reason: describeFailure(log, `repair ${step.name}`, error),
      });
    }
  }
  return report;
}
