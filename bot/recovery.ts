import type { RecoveredRun } from "../provisioning/engine";

/** What operators read about a run a restart interrupted and the engine then finished. */
export function recoverySentence(run: RecoveredRun): string {
  const doing = run.pipeline.startsWith("revoke-")
    ? "revoking"
    : run.pipeline.startsWith("repair-")
      ? "repairing"
      : "adding";
  if (run.action === "unrecoverable")
    return `meshpilot restarted in the middle of ${doing} ${run.device}, but could not finish it (${run.undoFailures.join("; ")}) — check ${run.device} with !health ${run.device} and run the command again`;
  if (run.action === "finished") {
    const done = run.steps.flatMap((s) => (s.ok && s.detail ? [s.detail] : []));
    const failed = run.steps.flatMap((s) => (s.ok ? [] : [`${s.step}: ${s.reason}`]));
    return (
      `meshpilot restarted in the middle of ${doing} ${run.device} and finished it` +
      (done.length ? ` (${done.join(", ")})` : "") +
      "." +
      (failed.length ? ` Could not: ${failed.join("; ")}.` : "")
    );
  }
  const what =
    run.action === "completed"
      ? "completed it"
      : `rolled it back (${run.undone.join(", ") || "nothing to undo"})`;
  const left = run.undoFailures.length ? ` Could not undo: ${run.undoFailures.join("; ")}.` : "";
  return `meshpilot restarted in the middle of ${doing} ${run.device} and ${what}.${left}`;
}
