import type { AuditLog } from "../../common/audit/log";
import type { SshPool } from "../../ssh/pool";
import { shellQuote } from "../../ssh/quote";
import type { SshTarget } from "../../ssh/target";
import type { ExecResult } from "../../ssh/exec";
import { normaliseAbsolute, pathAllowed } from "../paths";
import type { Tool, ToolContext, ToolResult } from "../types";
import { checkArgv, type SshManifest } from "./policy";

export interface SshToolDeps {
  pool: Pick<SshPool, "exec">;
  target: SshTarget;
  manifest: SshManifest;
  audit: AuditLog;
}

/**
 * The SSH provider: ssh_exec, ssh_fs_read, ssh_fs_list, read-only. Policy is applied on
 * the bot before anything is sent, and every call is written to the device's bot-side
 * audit log first — if that write fails, nothing is sent.
 */
export function sshTools(deps: SshToolDeps): Tool[] {
  const { manifest } = deps;
  const timeoutMs = manifest.timeoutS * 1000;
  return [
    {
      name: "ssh_exec",
      description:
        `Run one read-only program on the device over SSH, as argv (no shell: pipes, redirections and $() are refused). ` +
        `Allowed programs: ${manifest.allowedBinaries.join(", ")}. Path arguments must be absolute and inside: ${manifest.pathsAllowed.join(", ")}.`,
      inputSchema: {
        type: "object",
        properties: {
          argv: { type: "array", items: { type: "string" }, minItems: 1, description: 'e.g. ["df", "-h"]' },
        },
        required: ["argv"],
      },
      needsApproval: false,
      timeoutMs,
      execute: (input, ctx) => audited(deps, "ssh_exec", input, ctx, () => runArgv(deps, input.argv)),
    },
    {
      name: "ssh_fs_read",
      description: `Read a text file on the device (at most ${manifest.maxOutputBytes} bytes). The path must be absolute and inside: ${manifest.pathsAllowed.join(", ")}.`,
      inputSchema: { type: "object", properties: { path: { type: "string" } }, required: ["path"] },
      needsApproval: false,
      timeoutMs,
      execute: (input, ctx) =>
        audited(deps, "ssh_fs_read", input, ctx, () =>
          withResolvedPaths(deps, [input.path], ([real]) => [
            "head",
            "-c",
            String(manifest.maxOutputBytes + 1),
            "--",
            real!,
          ]),
        ),
    },
    {
      name: "ssh_fs_list",
      description: `List a directory on the device (ls -la). The path must be absolute and inside: ${manifest.pathsAllowed.join(", ")}.`,
      inputSchema: { type: "object", properties: { path: { type: "string" } }, required: ["path"] },
      needsApproval: false,
      timeoutMs,
      execute: (input, ctx) =>
        audited(deps, "ssh_fs_list", input, ctx, () =>
          withResolvedPaths(deps, [input.path], ([real]) => [
            "ls",
            "-la",
            "--time-style=long-iso",
            "--",
            real!,
          ]),
        ),
    },
  ] as Tool[];
}

type Plan = { refusal: string } | { argv: string[] };
type Step = () => Promise<Plan>;

/** Writes the call (or its refusal) to the audit log, runs it, writes the result. */
async function audited(
  deps: SshToolDeps,
  capability: string,
  input: Record<string, unknown>,
  ctx: ToolContext,
  plan: Step,
): Promise<ToolResult> {
  const staticRefusal = staticCheck(deps.manifest, capability, input);
  if (staticRefusal) {
    const auditId = deps.audit.recordCall({ capability, args: input, caller: ctx.caller }, staticRefusal);
    return { ok: false, refusal: staticRefusal, output: `refused: ${staticRefusal}`, auditId };
  }
  const auditId = deps.audit.recordCall({ capability, args: input, caller: ctx.caller });
  const started = performance.now();
  try {
    const planned = await plan();
    if ("refusal" in planned) {
      deps.audit.recordResult(auditId, capability, ctx.caller, {
        exitCode: null,
        bytes: 0,
        durationMs: performance.now() - started,
        error: `refused: ${planned.refusal}`,
      });
      return { ok: false, refusal: planned.refusal, output: `refused: ${planned.refusal}`, auditId };
    }
    const result = await run(deps, planned.argv);
    deps.audit.recordResult(auditId, capability, ctx.caller, {
      exitCode: result.exitCode,
      bytes: result.bytes,
      durationMs: performance.now() - started,
      ...(result.timedOut ? { error: "timed out" } : {}),
    });
    return toToolResult(result, deps.manifest, auditId);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    deps.audit.recordResult(auditId, capability, ctx.caller, {
      exitCode: null,
      bytes: 0,
      durationMs: performance.now() - started,
      error: message,
    });
    return { ok: false, output: `error: ${message}`, auditId };
  }
}

/**
 * Everything decidable without the host. Both the path as given (normalised) and, later,
 * its real path must be inside paths_allowed: the host is not even asked about others.
 */
function staticCheck(
  manifest: SshManifest,
  capability: string,
  input: Record<string, unknown>,
): string | undefined {
  let paths: string[];
  if (capability === "ssh_exec") {
    const decision = checkArgv(manifest, Array.isArray(input.argv) ? (input.argv as unknown[]) : []);
    if (!decision.ok) return decision.reason;
    paths = decision.paths;
  } else {
    const path = input.path;
    const normal = typeof path === "string" ? normaliseAbsolute(path) : undefined;
    if (!normal) return `"${String(path)}" is not an absolute path`;
    if (/[\n\r\0]/.test(normal)) return "the path contains a control character";
    paths = [normal];
  }
  const outside = paths.find((p) => !pathAllowed(p, manifest.pathsAllowed));
  return outside ? `${outside} is outside paths_allowed (${manifest.pathsAllowed.join(", ")})` : undefined;
}

function runArgv(deps: SshToolDeps, argv: unknown): Promise<Plan> {
  const decision = checkArgv(deps.manifest, argv as unknown[]);
  if (!decision.ok) return Promise.resolve({ refusal: decision.reason });
  const words = argv as string[];
  if (decision.paths.length === 0) return Promise.resolve({ argv: words });
  return withResolvedPaths(deps, decision.paths, (real) => {
    // Run on the resolved paths, so a symlink swapped in after the check changes nothing.
    const byOriginal = new Map(decision.paths.map((p, i) => [p, real[i]!]));
    return words.map((w, i) => (i > 0 ? (byOriginal.get(normaliseAbsolute(w) ?? "") ?? w) : w));
  });
}

/** Resolves paths on the device (realpath -e) and checks the real paths against paths_allowed. */
async function withResolvedPaths(
  deps: SshToolDeps,
  paths: readonly unknown[],
  build: (real: string[]) => string[],
): Promise<Plan> {
  const wanted = paths.map((p) => normaliseAbsolute(String(p))!);
  const result = await run(deps, ["realpath", "-e", "--", ...wanted]);
  if (result.exitCode !== 0)
    return {
      refusal: `no such file or directory, or not readable by ${deps.target.user}: ${wanted.join(" ")}`,
    };
  const real = result.stdout.split("\n").filter(Boolean);
  if (real.length !== wanted.length) return { refusal: "could not resolve every path" };
  const outside = real.findIndex((p) => !pathAllowed(p, deps.manifest.pathsAllowed));
  if (outside >= 0) {
    const shown =
      real[outside] === wanted[outside] ? wanted[outside] : `${wanted[outside]} (which is ${real[outside]})`;
    return { refusal: `${shown} is outside paths_allowed (${deps.manifest.pathsAllowed.join(", ")})` };
  }
  return { argv: build(real) };
}

function run(deps: SshToolDeps, argv: readonly string[]): Promise<ExecResult> {
  const { manifest } = deps;
  // coreutils timeout kills the remote command itself; closing the channel alone may not.
  const command = `timeout -k 2 ${manifest.timeoutS} ${shellQuote(argv)}`;
  return deps.pool.exec(deps.target, command, {
    timeoutMs: manifest.timeoutS * 1000 + 5000,
    maxBytes: manifest.maxOutputBytes,
  });
}

function toToolResult(result: ExecResult, manifest: SshManifest, auditId: number): ToolResult {
  const parts = [result.stdout];
  if (result.stderr.trim()) parts.push(`[stderr]\n${result.stderr}`);
  if (result.truncated)
    parts.push(`[output truncated at ${manifest.maxOutputBytes} bytes of ${result.bytes}]`);
  if (result.timedOut || result.exitCode === 124) parts.push(`[timed out after ${manifest.timeoutS} s]`);
  if (result.exitCode !== 0) parts.push(`[exit code ${result.exitCode ?? result.signal ?? "unknown"}]`);
  return {
    ok: result.exitCode === 0,
    output: parts.join("\n").trim(),
    truncated: result.truncated,
    exitCode: result.exitCode,
    auditId,
  };
}
