import type { ExecResult } from "../../ssh/exec";
import { normaliseAbsolute, pathAllowed } from "../paths";
import type { ToolResult } from "../types";
import { hasControlCharacter, type SshManifest } from "./policy";
import {
  checkedRealPath,
  FIRST_FD,
  mapDescriptorPaths,
  parseRemoteOutput,
  type HeaderEntry,
  type OpenedPath,
  type ScriptPlan,
} from "./remote-script";

export type Judged = { refusal: string } | { refusal?: undefined; result: Omit<ToolResult, "auditId"> };

/**
 * What the model may see of one call's output: nothing unless every descriptor the script
 * opened is a file or directory whose real path is inside paths_allowed; then the program's
 * output with descriptor paths mapped back to real ones, capped at max_output_bytes.
 */
export function judgeOutput(result: ExecResult, plan: ScriptPlan, manifest: SshManifest): Judged {
  const parsed = parseRemoteOutput(result.stdout, plan.nonce);
  for (const [i, opened] of plan.opened.entries()) {
    const entry = parsed.entries.find((e) => e.fd === FIRST_FD + i);
    const problem = entry ? entryProblem(entry, opened, manifest) : undefined;
    if (problem) return { refusal: problem };
  }
  const everyOpened = plan.opened.every((_, i) => parsed.entries.some((e) => e.fd === FIRST_FD + i));
  if (!parsed.complete || parsed.pid === undefined || !everyOpened) {
    if (result.timedOut || result.exitCode === 124) {
      return { refusal: `the device did not answer within ${manifest.timeoutS} s; nothing was read` };
    }
    const said = firstLine(result.stderr);
    return {
      refusal:
        `the device did not open every path (exit code ${result.exitCode ?? result.signal ?? "unknown"}` +
        `${said ? `: ${said}` : ""}), so nothing was read — SSH-only devices need Linux with /proc, sh and coreutils timeout`,
    };
  }
  const pid = parsed.pid;
  const body = capBytes(mapDescriptorPaths(parsed.body, pid, parsed.entries), manifest.maxOutputBytes);
  const stderr = mapDescriptorPaths(result.stderr, pid, parsed.entries);
  const truncated = result.truncated || body.cut;
  const parts = [body.text];
  if (stderr.trim()) parts.push(`[stderr]\n${stderr}`);
  if (truncated) parts.push(`[output truncated at ${manifest.maxOutputBytes} bytes]`);
  if (result.timedOut || result.exitCode === 124) parts.push(`[timed out after ${manifest.timeoutS} s]`);
  if (result.exitCode !== 0) parts.push(`[exit code ${result.exitCode ?? result.signal ?? "unknown"}]`);
  return {
    result: {
      ok: result.exitCode === 0,
      output: parts.join("\n").trim(),
      truncated,
      exitCode: result.exitCode,
    },
  };
}

function entryProblem(entry: HeaderEntry, opened: OpenedPath, manifest: SshManifest): string | undefined {
  const { path } = opened;
  switch (entry.state) {
    case "missing":
      return `no such file or directory: ${path}`;
    case "unopenable":
      return `${path} cannot be opened by ${manifest.user} (permission denied?)`;
    case "special":
      return `${path} is not a regular file or a directory (a FIFO, socket or device is never opened)`;
    default:
      break;
  }
  const real = checkedRealPath(entry.real);
  if (hasControlCharacter(real) || normaliseAbsolute(real) !== real) {
    return `the real path of ${path} could not be read safely, so its content was dropped`;
  }
  if (!pathAllowed(real, manifest.pathsAllowed)) {
    const shown = real === path ? path : `${path} (which is ${real})`;
    return `${shown} is outside paths_allowed (${manifest.pathsAllowed.join(", ")}); its content was dropped`;
  }
  if (opened.want === "file" && entry.state === "dir") return `${path} is a directory — use ssh_fs_list`;
  if (opened.want === "dir" && entry.state === "file") return `${path} is not a directory — use ssh_fs_read`;
  return undefined;
}

function capBytes(text: string, max: number): { text: string; cut: boolean } {
  const bytes = Buffer.from(text, "utf8");
  if (bytes.length <= max) return { text, cut: false };
  return { text: bytes.subarray(0, max).toString("utf8"), cut: true };
}

function firstLine(text: string): string {
  const line = text.split("\n").find((l) => l.trim()) ?? "";
  return line.trim().slice(0, 200);
}
