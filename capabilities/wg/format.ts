import type { CapabilityName } from "../../common/capabilities";
import type { ToolResult } from "../types";

/** A capability result as the device agent sends it (device-agent/capabilities/types.ts). */
export interface WireResult {
  ok?: boolean;
  exitCode?: number | null;
  stdout?: string;
  stderr?: string;
  data?: unknown;
  truncated?: boolean;
  bytes?: number;
  error?: string;
}

interface ListEntry {
  name?: unknown;
  type?: unknown;
  size?: unknown;
  mtime?: unknown;
}

/**
 * The text the model reads for a device-agent result: the output itself, then markers for
 * what the agent cut, errors and exit codes. A listing becomes one line per entry, which
 * is what a person (or a model) reads best and costs fewer tokens than JSON.
 */
export function formatCapabilityResult(capability: CapabilityName, result: WireResult): ToolResult {
  const parts: string[] = [];
  if (capability === "fs.list" && isListing(result.data)) {
    parts.push(formatListing(result.data));
  } else if (result.data !== undefined && capability !== "fs.read") {
    parts.push(JSON.stringify(result.data));
  }
  if (result.stdout) parts.push(result.stdout);
  if (result.stderr?.trim()) parts.push(`[stderr]\n${result.stderr}`);
  if (result.truncated) parts.push("[the device agent cut this output at its manifest limit]");
  if (result.error) parts.push(`[error: ${result.error}]`);
  if (typeof result.exitCode === "number" && result.exitCode !== 0)
    parts.push(`[exit code ${result.exitCode}]`);
  return {
    ok: result.ok === true,
    output: parts.join("\n").trim() || (result.ok ? "(no output)" : "(failed, no output)"),
    truncated: result.truncated === true,
    exitCode: result.exitCode ?? null,
  };
}

function isListing(data: unknown): data is { path: string; entries: ListEntry[]; total: number } {
  return typeof data === "object" && data !== null && Array.isArray((data as { entries?: unknown }).entries);
}

function formatListing(data: { path: string; entries: ListEntry[]; total: number }): string {
  const lines = data.entries.map((e) => {
    const size = typeof e.size === "number" ? String(e.size) : "-";
    const mtime = typeof e.mtime === "string" ? e.mtime.slice(0, 16).replace("T", " ") : "-";
    return `${String(e.type).padEnd(7)} ${size.padStart(10)}  ${mtime}  ${String(e.name)}`;
  });
  const shown = data.entries.length < data.total ? ` (${data.entries.length} shown)` : "";
  return [`${data.path}: ${data.total} entries${shown}`, ...lines].join("\n");
}
