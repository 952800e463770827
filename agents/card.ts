import type { ApprovalNeed } from "../capabilities/types";
import { escapeHtml } from "../common/html";
import { contentBlocks } from "./card-content";
import {
  CARD_LIMITS,
  COMPACT_LIMITS,
  asText,
  count,
  fence,
  sha256,
  shellWord,
  shown,
  visible,
  type ShowLimits,
} from "./show";

/**
 * The approval request an operator reads on the phone: the whole action (every argv word,
 * the command line, what a write puts where), its class and why, and the rule that asked.
 * Long values show head … tail with their length and SHA-256; the card as a whole stays
 * within CARD_MAX_CHARS by showing less of each value, never by cutting the card.
 */
export interface CardMessage {
  body: string;
  html: string;
}

export interface CardRequest {
  /** The agent's name as the room knows it: agent-pc1. */
  agent: string;
  device: string;
  tool: string;
  input: Record<string, unknown>;
  need: ApprovalNeed;
  /** Which rule asked: "approval is needed for change and run calls (…)". */
  rule: string;
  /**
   * What 🔁 would allow and for how long ("change calls of systemctl through shell.exec on
   * pc1", "15 min"); without it the card offers no session.
   */
  session?: { scope: string; duration: string };
}

export type Block =
  | { kind: "line"; text: string }
  | { kind: "field"; label: string; value: string }
  | { kind: "code"; label: string; text: string };

/** How much of each part a card shows; the compact set is used when the full one is too long. */
export interface Detail {
  limits: ShowLimits;
  /** argv words shown from the start and the end of a long argv. */
  argvHead: number;
  argvTail: number;
  /** Lines of fs.write content shown from the start and the end. */
  firstLines: number;
  lastLines: number;
  /** Other input fields shown at most. */
  fields: number;
}

const FULL: Detail = {
  limits: CARD_LIMITS,
  argvHead: 40,
  argvTail: 10,
  firstLines: 10,
  lastLines: 5,
  fields: 20,
};
const COMPACT: Detail = {
  limits: COMPACT_LIMITS,
  argvHead: 10,
  argvTail: 3,
  firstLines: 5,
  lastLines: 3,
  fields: 8,
};

export const CARD_MAX_CHARS = 8_000;
/** Body and formatted body together, in bytes; a Matrix event is at most 64 KiB. */
const CARD_MAX_BYTES = 48_000;
const HIDDEN_WARNING =
  "⚠ Part of what would run is not shown above. Refuse unless you know what the hidden part is (its length and SHA-256 are given).";
const ANSWER = "React 👍 or ✅ to allow, 👎 or ❌ to refuse.";

/** The answer line; with a session it says exactly what 🔁 allows, whatever the arguments. */
export function answerLine(session: CardRequest["session"]): string {
  if (!session) return ANSWER;
  return `React 👍 or ✅ to allow this call once, 🔁 to allow all ${session.scope} for ${session.duration} (any arguments, no more cards), 👎 or ❌ to refuse.`;
}

export function approvalCard(request: CardRequest): CardMessage {
  for (const detail of [FULL, COMPACT]) {
    const card = render(blocks(request, detail));
    if (fits(card)) return card;
  }
  // Only a call with many huge field names gets here: say so rather than show part of it.
  return render([
    ...header(request),
    {
      kind: "line",
      text: `This call is too large to show on one card (its input's SHA-256 is ${sha256(asText(request.input))}). Refuse it and ask the agent for a smaller one.`,
    },
  ]);
}

function fits(card: CardMessage): boolean {
  return (
    card.body.length <= CARD_MAX_CHARS &&
    Buffer.byteLength(card.body) + Buffer.byteLength(card.html) <= CARD_MAX_BYTES
  );
}

function header(request: CardRequest): Block[] {
  const { need } = request;
  return [
    { kind: "line", text: `${request.agent} wants to run ${request.tool} on ${request.device}.` },
    { kind: "line", text: `${need.callClass}: ${visible(need.reason, false)}` },
    { kind: "line", text: `Asked because ${request.rule}.` },
  ];
}

function blocks(request: CardRequest, detail: Detail): Block[] {
  const { input } = request;
  const out: Block[] = [...header(request)];
  const handled = new Set<string>();
  if (Array.isArray(input.argv) && input.argv.every((w): w is string => typeof w === "string")) {
    out.push({
      kind: "code",
      label: `argv (${count(input.argv.length)} words)`,
      text: argvText(input.argv, detail),
    });
    handled.add("argv");
  }
  if (typeof input.command === "string") {
    out.push({
      kind: "code",
      label: `command (${count(input.command.length)} characters)`,
      text: shown(visible(input.command), input.command, detail.limits),
    });
    handled.add("command");
  }
  if (request.tool === "fs.write" && typeof input.content === "string") {
    out.push(...contentBlocks(input, detail));
    for (const key of ["path", "mode", "encoding", "content"]) handled.add(key);
  }
  const rest = Object.entries(input).filter(([key]) => !handled.has(key));
  for (const [key, value] of rest.slice(0, detail.fields)) {
    out.push({ kind: "field", label: fieldLabel(key, detail), value: fieldValue(value, detail) });
  }
  if (rest.length > detail.fields)
    out.push({
      kind: "line",
      text: `… ${count(rest.length - detail.fields)} more input fields not shown (input SHA-256 ${sha256(asText(input))}).`,
    });
  const program = out.filter((b) => b.kind === "code" && /^(argv|command) /.test(b.label));
  if (program.some((b) => b.kind === "code" && / not shown; /.test(b.text)))
    out.push({ kind: "line", text: HIDDEN_WARNING });
  out.push({ kind: "line", text: answerLine(request.session) });
  return out;
}

function argvText(argv: readonly string[], detail: Detail): string {
  const word = (w: string): string => shown(shellWord(w), w, detail.limits);
  if (argv.length <= detail.argvHead + detail.argvTail) return argv.map(word).join(" ");
  const hidden = argv.length - detail.argvHead - detail.argvTail;
  return [
    ...argv.slice(0, detail.argvHead).map(word),
    `… [${count(hidden)} words not shown; argv SHA-256 ${sha256(JSON.stringify(argv))}] …`,
    ...argv.slice(argv.length - detail.argvTail).map(word),
  ].join(" ");
}

function fieldLabel(key: string, detail: Detail): string {
  return shown(visible(key, false), key, detail.limits);
}

/** A list of words (pkg.install's packages) reads as words; anything else as its text. */
export function fieldValue(value: unknown, detail: Detail): string {
  if (Array.isArray(value) && value.every((v): v is string => typeof v === "string")) {
    const text = value.map(shellWord).join(" ");
    return shown(text, JSON.stringify(value), { ...detail.limits, value: detail.limits.value * 2 });
  }
  const text = asText(value);
  return shown(visible(text, false), text, detail.limits);
}

export function render(parts: readonly Block[]): CardMessage {
  const body: string[] = [];
  const html: string[] = [];
  for (const part of parts) {
    if (part.kind === "line") {
      body.push(part.text);
      html.push(`${escapeHtml(part.text)}<br>`);
    } else if (part.kind === "field") {
      body.push(`${part.label}: ${part.value}`);
      html.push(`<b>${escapeHtml(part.label)}:</b> <code>${escapeHtml(part.value)}</code><br>`);
    } else {
      body.push(`${part.label}:\n${fence(part.text)}`);
      html.push(`<b>${escapeHtml(part.label)}:</b><pre><code>${escapeHtml(part.text)}</code></pre>`);
    }
  }
  return { body: body.join("\n"), html: html.join("").replace(/<br>$/, "") };
}
