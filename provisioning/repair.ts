import type { Pipeline, RunOutcome } from "./engine";

export interface RepairReport {
  /** Each step whose check failed, with what was wrong and what was done. */
  repaired: Array<{ step: string; problem: string; action?: string }>;
  /** Steps whose check failed and whose repair failed too. */
  failed: Array<{ step: string; problem: string; reason: string }>;
}

/** The pipeline name of a repair: its own journaled run. */
export const repairName = (add: string): string => `repair-${add.replace(/^add-/, "")}`;

/**
 * Repair of a live device as a journaled forward run: one step per add step that has a
 * check — check, and only if the effect is missing, put it back (step.repair, else do).
 * Nothing is rolled back (a live device is never torn down by a repair), a healthy
 * device is not touched, and a repair a crash interrupted is finished at the next start.
 */
export function repairPipeline<D>(add: Pipeline<D>): Pipeline<D> & { problems: Map<string, string> } {
  const problems = new Map<string, string>();
  return {
    name: repairName(add.name),
    mode: "forward",
    problems,
    steps: add.steps.flatMap((step) => {
      if (!step.check) return [];
      return [
        {
          name: step.name,
          do: async (ctx) => {
            const result = await step.check!(ctx);
            if (result.ok) return undefined;
            problems.set(step.name, result.problem);
            ctx.log.info({ step: step.name, problem: result.problem }, "repairing");
            return (await (step.repair ? step.repair(ctx) : step.do(ctx))) ?? "repaired";
          },
          undo: () => Promise.resolve(),
        },
      ];
    }),
    dispose: () => add.dispose?.(),
  };
}

/** The report an operator reads, from a repair run's outcome. */
export function repairReport(outcome: RunOutcome, problems: Map<string, string>): RepairReport {
  const report: RepairReport = { repaired: [], failed: [] };
  for (const result of outcome.steps) {
    const problem = problems.get(result.step) ?? "could not be checked";
    if (!result.ok) report.failed.push({ step: result.step, problem, reason: result.reason });
    else if (result.detail) report.repaired.push({ step: result.step, problem, action: result.detail });
  }
  return report;
}
