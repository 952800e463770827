import { createHash } from "node:crypto";

/**
 * How a value the operator must judge is shown: whole when short, otherwise its head and
 * tail with its length and SHA-256, so nothing is ever cut silently — a `&& curl … | sh`
 * hidden in the middle of a long value still shows as "4,800 characters not shown".
 * Characters that hide or reorder text (control, bidi, zero-width) are shown as escapes.
 */
export interface ShowLimits {
  /** A value up to this many characters is shown whole. */
  value: number;
  /** Characters shown from the start and the end of a longer value. */
  head: number;
  tail: number;
}

export const CARD_LIMITS: ShowLimits = { value: 200, head: 120, tail: 60 };
export const COMPACT_LIMITS: ShowLimits = { value: 80, head: 50, tail: 20 };

export function sha256(data: string | Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}

/** 4800 → "4,800" (fixed locale: the card must not depend on the host's settings). */
export function count(n: number): string {
  return n.toLocaleString("en-US");
}

// Control characters (except newline and tab), format characters (bidi overrides,
// zero-width joiners, BOM) and line/paragraph separators: invisible or reordering.
const HIDDEN = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu;

/** Shows invisible characters as escapes; `keepNewlines` leaves \n and \t as they are. */
export function visible(text: string, keepNewlines = true): string {
  return text.replace(HIDDEN, (ch) => {
    if (keepNewlines && (ch === "\n" || ch === "\t")) return ch;
    if (ch === "\n") return "\\n";
    if (ch === "\t") return "\\t";
    if (ch === "\r") return "\\r";
    // The escapes bash's $'…' reads, so an argv word shown this way is exactly that word.
    const code = ch.codePointAt(0) ?? 0;
    const hex = code.toString(16).toUpperCase();
    if (code < 0x80) return `\\x${hex.padStart(2, "0")}`;
    return code < 0x10000 ? `\\u${hex.padStart(4, "0")}` : `\\U${hex.padStart(8, "0")}`;
  });
}

/**
 * `value` (already made visible and quoted as it should read) shown whole when it fits,
 * else as head … tail with what was left out; `raw` is what the length and hash describe.
 */
export function shown(value: string, raw: string, limits: ShowLimits = CARD_LIMITS): string {
  if (value.length <= limits.value) return value;
  const head = sliceChars(value, 0, limits.head);
  const tail = sliceChars(value, value.length - limits.tail, value.length);
  const hidden = value.length - head.length - tail.length;
  return `${head} … [${count(hidden)} characters not shown; ${count(raw.length)} in all, SHA-256 ${sha256(raw)}] … ${tail}`;
}

/** A slice that does not split a surrogate pair. */
function sliceChars(text: string, start: number, end: number): string {
  let s = Math.max(0, start);
  let e = Math.min(text.length, end);
  if (s > 0 && isLowSurrogate(text.charCodeAt(s))) s++;
  if (e < text.length && isLowSurrogate(text.charCodeAt(e))) e--;
  return text.slice(s, e);
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

/**
 * One argv word as a POSIX shell reads it: bare when it has no special characters,
 * 'single-quoted' otherwise, $'…' when it holds a control character — the operator reads
 * exactly which words the program gets.
 */
export function shellWord(word: string): string {
  if (word === "") return "''";
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  if (visible(word, false) !== word) {
    const escaped = visible(word.replace(/\\/g, "\\\\").replace(/'/g, "\\'"), false);
    return `$'${escaped}'`;
  }
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** A value of any type as one readable string (strings as they are). */
export function asText(value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return JSON.stringify(value) ?? String(value);
}

/**
 * A fenced block for the plain body, fenced with more backticks than the text holds in a
 * row (CommonMark), so a backtick in a command cannot end the block early.
 */
export function fence(text: string): string {
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const marks = "`".repeat(Math.max(3, longest + 1));
  return `${marks}\n${text}\n${marks}`;
}
