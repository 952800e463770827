import type { Block, Detail } from "./card";
import { asText, count, sha256, shown, visible } from "./show";

/** Bytes shown as hex from each end of binary content. */
const HEX_BYTES = 32;

/**
 * What an fs.write would put where: path, mode, encoding, the bytes that land on disk
 * (size and SHA-256 of the decoded content, not of its base64), and the content's first
 * and last lines with how many are not shown.
 */
export function contentBlocks(input: Record<string, unknown>, detail: Detail): Block[] {
  const content = asText(input.content);
  const encoding = input.encoding === undefined ? "utf8 (default)" : asText(input.encoding);
  const base64 = input.encoding === "base64";
  const bytes = base64 ? Buffer.from(content, "base64") : Buffer.from(content, "utf8");
  const out: Block[] = [
    { kind: "field", label: "path", value: one(asText(input.path), detail) },
    {
      kind: "field",
      label: "mode",
      value: input.mode === undefined ? "create (default)" : one(asText(input.mode), detail),
    },
    { kind: "field", label: "encoding", value: one(encoding, detail) },
  ];
  if (base64 && !/^[A-Za-z0-9+/]*={0,2}$/.test(content.replace(/\s/g, "")))
    out.push({ kind: "line", text: "⚠ the content is not plain base64: what is written may differ." });
  const text = base64 ? utf8Text(bytes) : content;
  if (text === undefined) {
    out.push({
      kind: "field",
      label: "size",
      value: `${count(bytes.length)} bytes (binary), SHA-256 ${sha256(bytes)}`,
    });
    out.push(...binaryBlocks(bytes));
    return out;
  }
  const lines = text.split("\n");
  if (lines.length > 1 && lines[lines.length - 1] === "") lines.pop();
  out.push({
    kind: "field",
    label: "size",
    value: `${plural(bytes.length, "byte")}, ${plural(lines.length, "line")}, SHA-256 ${sha256(bytes)}`,
  });
  const line = (l: string): string => shown(visible(l), l, detail.limits);
  const { firstLines, lastLines } = detail;
  if (lines.length <= firstLines + lastLines) {
    out.push({
      kind: "code",
      label: `content (${plural(lines.length, "line")})`,
      text: lines.map(line).join("\n"),
    });
    return out;
  }
  out.push(
    {
      kind: "code",
      label: `first ${firstLines} lines`,
      text: lines.slice(0, firstLines).map(line).join("\n"),
    },
    { kind: "line", text: `… ${plural(lines.length - firstLines - lastLines, "line")} not shown …` },
    {
      kind: "code",
      label: `last ${lastLines} lines`,
      text: lines
        .slice(lines.length - lastLines)
        .map(line)
        .join("\n"),
    },
  );
  return out;
}

function one(value: string, detail: Detail): string {
  return shown(visible(value, false), value, detail.limits);
}

/** The bytes as text when they are UTF-8 without NUL; undefined for binary content. */
function utf8Text(bytes: Buffer): string | undefined {
  try {
    const text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    return text.includes("\0") ? undefined : text;
  } catch {
    return undefined;
  }
}

function binaryBlocks(bytes: Buffer): Block[] {
  if (bytes.length <= HEX_BYTES * 2) return [{ kind: "code", label: "bytes (hex)", text: hex(bytes) }];
  return [
    { kind: "code", label: `first ${HEX_BYTES} bytes (hex)`, text: hex(bytes.subarray(0, HEX_BYTES)) },
    { kind: "line", text: `… ${count(bytes.length - HEX_BYTES * 2)} bytes not shown …` },
    {
      kind: "code",
      label: `last ${HEX_BYTES} bytes (hex)`,
      text: hex(bytes.subarray(bytes.length - HEX_BYTES)),
    },
  ];
}

function hex(bytes: Buffer): string {
  return (bytes.toString("hex").match(/.{1,32}/g) ?? [])
    .map((row) => row.replace(/(..)/g, "$1 ").trim())
    .join("\n");
}

/** "1 line", "38 lines", "1,285 bytes". */
function plural(n: number, noun: string): string {
  return `${count(n)} ${noun}${n === 1 ? "" : "s"}`;
}
