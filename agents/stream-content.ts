import { escapeHtml } from "../common/html";
import { truncateText } from "./truncate";

export type AnswerType = "m.text" | "m.notice";

/** The agent's text as Matrix message content: plain body, and HTML Element X renders. */
export interface AnswerContent {
  msgtype: AnswerType;
  body: string;
  format: "org.matrix.custom.html";
  formatted_body: string;
  /**
   * Always present: with m.mentions set, Synapse skips the legacy rules that push a message
   * whose body merely contains an operator's name, so only `user_ids` listed here are pinged.
   */
  "m.mentions": { user_ids?: string[] };
  [key: string]: unknown;
}

/** Longest text a streamed message carries (the model's max_tokens rarely writes more). */
export const STREAM_MAX_CHARS = 8000;
/** An edit holds the text four times (body and HTML, outside and in m.new_content); Matrix caps an event at 64 KiB. */
const EDIT_MAX_BYTES = 60_000;

export function answerContent(text: string, msgtype: AnswerType, mention?: string): AnswerContent {
  return {
    msgtype,
    body: text,
    format: "org.matrix.custom.html",
    formatted_body: answerHtml(text),
    "m.mentions": mention ? { user_ids: [mention] } : {},
  };
}

/** The streamed text, cut (with a marker) until an edit carrying it fits in one event. */
export function streamedText(text: string): string {
  for (let max = STREAM_MAX_CHARS; ; max = Math.floor(max / 2)) {
    const cut = truncateText(text, max).text;
    const edit = replaceContent("$event", answerContent(cut, "m.notice"));
    if (max <= 500 || Buffer.byteLength(JSON.stringify(edit)) <= EDIT_MAX_BYTES) return cut;
  }
}

/**
 * An m.replace edit. m.new_content repeats msgtype, format and formatted_body (or Element
 * shows the message as another type); the fallback outside is "* …" for clients without edits.
 * It mentions nobody: an edit never pings anyone.
 */
export function replaceContent(eventId: string, content: AnswerContent): Record<string, unknown> {
  return {
    ...content,
    body: `* ${content.body}`,
    formatted_body: `* ${content.formatted_body}`,
    "m.mentions": {},
    "m.new_content": { ...content, "m.mentions": {} },
    "m.relates_to": { rel_type: "m.replace", event_id: eventId },
  };
}

/** Escaped text; `code` spans as <code>, line breaks as <br> (Element X's subset). */
function answerHtml(text: string): string {
  return escapeHtml(text)
    .replace(/`([^`\n]+)`/g, "<code>$1</code>")
    .replace(/\n/g, "<br>");
}
