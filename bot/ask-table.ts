import type { FanoutRow } from "../agents/fanout";
import { GRID_WIDTH } from "./grid";
import { escapeHtml } from "./html";
import type { Reply } from "./reply";

/** A device name longer than this is cut in the table (the full name is in the list below). */
const NAME_MAX = 12;
const TIME_WIDTH = 4;

/**
 * `!ask`'s merged answer: the question, a count, a <pre> table of one line per device
 * (device, time, the answer in one line) at most 40 columns wide (Element X shows no tables),
 * then the calls that were skipped because they needed an approval. The plain body is the
 * same text, so notifications and clients without HTML read the same thing.
 */
export function mergedAnswer(
  label: string,
  question: string,
  rows: readonly FanoutRow[],
  totalMs: number,
): Reply {
  const head = `📣 ${label}: ${oneLine(question)}`;
  const summary = summaryLine(rows, totalMs);
  const grid = table(rows);
  const skipped = rows.flatMap((row) => row.skipped.map((call) => ({ device: row.device, call })));
  const skippedTitle = "Not run — each needs an operator's approval; ask in that device's room:";
  const footer = "Full answers are in each device's room.";
  const body = [
    head,
    summary,
    "",
    grid,
    ...(skipped.length > 0 ? ["", skippedTitle, ...skipped.map((s) => `• ${s.device}: ${s.call}`)] : []),
    "",
    footer,
  ].join("\n");
  const html = [
    `<p>${escapeHtml(head)}<br>${escapeHtml(summary)}</p>`,
    `<pre><code>${escapeHtml(grid)}</code></pre>`,
    skipped.length > 0
      ? `<p>${escapeHtml(skippedTitle)}</p><ul>${skipped
          .map((s) => `<li>${escapeHtml(s.device)}: <code>${escapeHtml(s.call)}</code></li>`)
          .join("")}</ul>`
      : "",
    `<p>${escapeHtml(footer)}</p>`,
  ].join("");
  return { body, html };
}

function summaryLine(rows: readonly FanoutRow[], totalMs: number): string {
  const count = (kind: FanoutRow["kind"]): number => rows.filter((r) => r.kind === kind).length;
  const parts = [`${rows.length} device${rows.length === 1 ? "" : "s"}`, `${count("answered")} answered`];
  for (const [kind, word] of [
    ["down", "down"],
    ["timed_out", "timed out"],
    ["failed", "failed"],
    ["no_model", "no model"],
  ] as const)
    if (count(kind) > 0) parts.push(`${count(kind)} ${word}`);
  return `${parts.join(" · ")} · ${seconds(totalMs)}`;
}

/** One line per device: `name time answer`, every line within 40 columns. */
export function table(rows: readonly FanoutRow[]): string {
  const nameWidth = Math.min(NAME_MAX, Math.max(6, ...rows.map((r) => columns(r.device))));
  const answerWidth = GRID_WIDTH - nameWidth - TIME_WIDTH - 2;
  const line = (name: string, time: string, answer: string): string =>
    `${pad(fit(name, nameWidth), nameWidth)} ${time.padStart(TIME_WIDTH)} ${fit(answer, answerWidth)}`.trimEnd();
  return [
    line("device", "time", "answer"),
    ...rows.map((row) => line(row.device, row.kind === "down" ? "-" : seconds(row.ms), rowText(row))),
  ].join("\n");
}

function rowText(row: FanoutRow): string {
  switch (row.kind) {
    case "answered":
      return oneLine(row.text);
    case "failed":
      return `no answer: ${oneLine(row.reason)}`;
    case "no_model":
      return "no model configured";
    case "down":
      return `down: ${row.reason}`;
    case "timed_out":
      return `timed out after ${row.afterS} s`;
  }
}

/** Time in at most four columns: 0.4s, 9.8s, 42s, 118s. */
function seconds(ms: number): string {
  const s = ms / 1000;
  return s < 9.95 ? `${s.toFixed(1)}s` : `${Math.round(s)}s`;
}

/** Markdown and line breaks flattened: the table has one line per device. */
export function oneLine(text: string): string {
  return text
    .replace(/^#+\s/gm, "")
    .replace(/```[a-z]*|`|\*\*/g, "")
    .replace(/\s+/g, " ")
    .trim();
}

/** Columns on a phone: emoji and East Asian wide characters take two, combining marks none. */
export function columns(text: string): number {
  let width = 0;
  for (const ch of text) width += charColumns(ch);
  return width;
}

function charColumns(ch: string): number {
  const code = ch.codePointAt(0) ?? 0;
  // Zero-width spaces and joiners, variation selectors (U+FE0F after an emoji), combining marks.
  if ((code >= 0x200b && code <= 0x200f) || (code >= 0xfe00 && code <= 0xfe0f) || /\p{M}/u.test(ch)) return 0;
  if (WIDE.test(ch) || (code >= 0xff01 && code <= 0xff60)) return 2;
  return 1;
}

const WIDE =
  /\p{Extended_Pictographic}|\p{Script=Han}|\p{Script=Hiragana}|\p{Script=Katakana}|\p{Script=Hangul}/u;

/** Cut to `width` columns, ending with … when anything was cut. */
export function fit(text: string, width: number): string {
  if (columns(text) <= width) return text;
  let out = "";
  let used = 0;
  for (const ch of text) {
    const w = charColumns(ch);
    if (used + w > width - 1) break;
    out += ch;
    used += w;
  }
  return `${out}…`;
}

function pad(text: string, width: number): string {
  return text + " ".repeat(Math.max(0, width - columns(text)));
}
