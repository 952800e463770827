import { asText, count, sha256, shellWord, shown, visible, type ShowLimits } from "./show";

/**
 * A tool call in one line, for the notices that follow an approval card and the row that
 * records it: `docker.restart nginx`, `shell.exec ls -la /srv`, `fs.write /home/a/x.txt
 * (12 bytes, SHA-256 ab12…)`. The card above it shows the whole call; this line never cuts
 * silently either: a long value reads as head … tail with its length and hash.
 * Backticks are shown as \x60 so the line cannot break out of its code span.
 */
const LINE_LIMITS: ShowLimits = { value: 100, head: 60, tail: 25 };
const MAX_WORDS = 30;
const MAX_FIELDS = 12;

export function describeCall(tool: string, input: Record<string, unknown>): string {
  const words: string[] = [];
  const entries = Object.entries(input);
  for (const [key, value] of entries.slice(0, MAX_FIELDS)) {
    if (key === "content" && typeof value === "string") {
      const bytes = input.encoding === "base64" ? Buffer.from(value, "base64") : Buffer.from(value);
      words.push(`(${count(bytes.length)} bytes, SHA-256 ${sha256(bytes).slice(0, 16)}…)`);
    } else if (Array.isArray(value) && value.every((v): v is string => typeof v === "string")) {
      const shownWords = value.slice(0, MAX_WORDS).map((w) => shown(shellWord(w), w, LINE_LIMITS));
      if (value.length > MAX_WORDS) shownWords.push(`… [${count(value.length - MAX_WORDS)} more words]`);
      words.push(shownWords.join(" "));
    } else if (typeof value === "string") {
      words.push(shown(visible(value, false), value, LINE_LIMITS));
    } else if (value !== undefined && value !== null) {
      const text = asText(value);
      words.push(
        `${shown(visible(key, false), key, LINE_LIMITS)}=${shown(visible(text, false), text, LINE_LIMITS)}`,
      );
    }
  }
  if (entries.length > MAX_FIELDS) words.push(`… [${count(entries.length - MAX_FIELDS)} more fields]`);
  return shortHashes([tool, ...words].join(" ").replace(/`/g, "\\x60"));
}

/** In one line a full SHA-256 is noise: its first 16 digits identify the value. */
function shortHashes(line: string): string {
  return line.replace(/SHA-256 ([0-9a-f]{16})[0-9a-f]{48}/g, "SHA-256 $1…");
}
