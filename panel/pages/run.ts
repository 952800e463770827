import { html, type Html } from "../html";
import type { PanelRun } from "../runs";

/** The part of a run's page that changes: steps, what the command said, the outcome. */
export function runBody(run: PanelRun): Html {
  const steps = (run.progress ?? "").split("\n");
  const [title, ...all] = steps;
  // The last line of a finished checklist is also what the command told the operator: shown once, below.
  const lines = all.filter((l) => !run.messages.includes(l));
  // A pull's one-time command is the line that follows the sentence asking to run it.
  const command = run.messages
    .map((m) => m.split("\n"))
    .find((m) => m.length > 1 && /run this|enrolls it again/.test(m[0]!));
  return html`<div id="run" data-state="${run.state}">
    ${
      command
        ? html`<section aria-labelledby="cmd-h">
            <h2 id="cmd-h">Run this on the PC</h2>
            <p>${command[0]}</p>
            <pre class="command"><code id="one-time-command">${command.slice(1).join("\n")}</code></pre>
            <button type="button" class="copy" data-copy="one-time-command">Copy the command</button>
          </section>`
        : ""
    }
    <h2 id="steps-h">${title || "Starting…"}</h2>
    <ol class="steps" aria-labelledby="steps-h">
      ${lines.map((l) => html`<li class="${stepClass(l)}">${l}</li>`)}
    </ol>
    <div class="outcome" role="status" aria-live="polite">
      ${run.state === "running" ? html`<p class="muted">Running…</p>` : ""}
      ${run.messages.filter((m) => m !== command?.join("\n")).map((m) => html`<p class="${run.state === "failed" ? "bad" : "good"}">${m}</p>`)}
      ${run.error ? html`<p class="bad">${run.error}</p>` : ""}
    </div>
  </div>`;
}

function stepClass(line: string): string {
  if (line.endsWith("✓") || / ✓ \(/.test(line)) return "done";
  if (line.includes("✗") || line.startsWith("⚠")) return "failed";
  if (line.startsWith("↩")) return "undone";
  if (line.startsWith("✓")) return "done";
  return "running";
}

export function runPage(run: PanelRun): Html {
  return html`<h1>${run.title}</h1>
    <p class="muted">Started by ${run.operator}. The steps are the same as the chat's progress notice.</p>
    ${runBody(run)}
    <p><a href="/">Back to devices</a></p>`;
}
