/**
 * A tool call in one line, as the operator reads it in an approval request:
 * `docker.restart nginx`, `shell.eval rm -rf /tmp/x`, `fs.write /home/a/notes.txt (12 bytes)`.
 * Backticks are replaced so the call cannot break out of its code span.
 */
const MAX = 300;

export function describeCall(tool: string, input: Record<string, unknown>): string {
  const words: string[] = [];
  for (const [key, value] of Object.entries(input)) {
    if (key === "content" && typeof value === "string") words.push(`(${Buffer.byteLength(value)} bytes)`);
    else if (typeof value === "string") words.push(value);
    else if (Array.isArray(value))
      words.push(value.map((v) => (typeof v === "string" ? v : JSON.stringify(v))).join(" "));
    else if (typeof value === "number" || typeof value === "boolean") words.push(`${key}=${String(value)}`);
    else if (value !== undefined && value !== null) words.push(`${key}=${JSON.stringify(value)}`);
  }
  const line = [tool, ...words].join(" ").replace(/`/g, "'").replace(/\s+/g, " ").trim();
  return line.length > MAX ? `${line.slice(0, MAX - 1)}…` : line;
}
