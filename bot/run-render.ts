import type { ProgressEvent, RunOutcome } from "../provisioning/engine";
import { escapeHtml } from "./html";
import type { Reply } from "./reply";

const MARK: Record<ProgressEvent["status"], string> = {
  running: "…",
  done: "… ✓",
  failed: "… ✗",
  undoing: "",
  undone: "",
  undo_failed: "",
};

/** The checklist a progress notice shows: one line per step reached, then undo lines. */
export class RunChecklist {
  private readonly lines = new Map<number, string>();
  private readonly undoLines: string[] = [];

  constructor(private readonly title: string) {}

  apply(event: ProgressEvent): void {
    const head = `[${event.index}/${event.total}] ${event.step}`;
    if (event.status === "undone" && event.detail) this.undoLines.push(`↩ ${event.detail}`);
    else if (event.status === "undo_failed")
      this.undoLines.push(`⚠ could not undo ${event.step}: ${event.detail ?? ""}`);
    else if (event.status === "running" || event.status === "done" || event.status === "failed") {
      const detail = event.status === "done" && event.detail ? ` (${event.detail})` : "";
      this.lines.set(event.index, `${head}${MARK[event.status]}${detail}`);
    }
  }

  render(last?: string): Reply {
    const all = [
      this.title,
      ...[...this.lines.entries()].sort(([a], [b]) => a - b).map(([, l]) => l),
      ...this.undoLines,
    ];
    if (last) all.push(last);
    return {
      body: all.join("\n"),
      html: all.map((l, i) => (i === 0 ? `<b>${escapeHtml(l)}</b>` : escapeHtml(l))).join("<br>"),
    };
  }
}

/** The one sentence that goes to the phone when a run failed. */
export function failureSentence(outcome: RunOutcome, total: number): string {
  const failed = outcome.failed!;
  const parts = [
    `✗ failed at [${failed.index}/${total}] ${failed.step}: ${failed.reason.replace(/\.$/, "")}.`,
  ];
  if (outcome.undone.length > 0) parts.push(`Rolled back: ${outcome.undone.join(", ")}.`);
  else parts.push("Nothing had been changed.");
  if (outcome.undoFailures.length > 0)
    parts.push(`Could not undo — clean up by hand: ${outcome.undoFailures.join("; ")}.`);
  return parts.join(" ");
}
