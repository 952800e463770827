import type { AuditLog } from "../../common/audit/log";
import { describePrograms, followArgumentLinksFlag } from "../../common/policy";
import type { ExecResult } from "../../ssh/exec";
import type { SshPool } from "../../ssh/pool";
import type { SshTarget } from "../../ssh/target";
import { normaliseAbsolute } from "../paths";
import type { ApprovalNeed, Tool, ToolContext, ToolResult } from "../types";
import { checkSshArgv, pathProblem, type SshManifest } from "./policy";
import { buildRemoteCommand, newNonce, type ScriptPlan } from "./remote-script";
import { judgeOutput } from "./output";

export interface SshToolDeps {
  pool: Pick<SshPool, "exec">;
  target: SshTarget;
  manifest: SshManifest;
  audit: AuditLog;
  /** Per-call header delimiter; tests pin it. */
  nonce?: () => string;
}

/** Room for the header (up to seven real paths) on top of the output cap. */
const HEADER_BYTES = 40 * 1024;

type Input = Record<string, unknown>;
/** A call the bot may send (the script plan), or the sentence why not. */
type Plan = { refusal: string } | { plan: Omit<ScriptPlan, "nonce"> };

/**
 * The SSH provider: ssh_exec, ssh_fs_read, ssh_fs_list, read-only. Policy is applied on
 * the bot before anything is sent; every call is written to the device's bot-side audit
 * log first — if that write fails, nothing is sent — and runs as one script that checks
 * the real path of each opened descriptor (remote-script.ts).
 */
export function sshTools(deps: SshToolDeps): Tool[] {
  const { manifest } = deps;
  const timeoutMs = manifest.timeoutS * 1000 + 5000;
  const where = `Paths must be absolute and inside: ${manifest.pathsAllowed.join(", ")}.`;
  const readOnly = (name: string): ApprovalNeed => ({
    needed: false,
    callClass: "read",
    reason: `${name} only reads`,
  });
  return [
    {
      name: "ssh_exec",
      description:
        `Run one read-only program on the device over SSH, as argv (no shell: pipes, redirections and $() are words, not syntax). ` +
        `Only these forms are accepted, exactly as written:\n${describePrograms("linux", manifest.allowedBinaries).join("\n")}\n${where}` +
        (manifest.home ? ` A program given no path runs in ${manifest.home}.` : ""),
      inputSchema: {
        type: "object",
        properties: {
          argv: { type: "array", items: { type: "string" }, minItems: 1, description: 'e.g. ["df", "-h"]' },
        },
        required: ["argv"],
      },
      classify: (input: Input): ApprovalNeed => classifyExec(manifest, input),
      timeoutMs,
      execute: (input: Input, ctx: ToolContext) =>
        audited(deps, "ssh_exec", input, ctx, execPlan(manifest, input)),
    },
    {
      name: "ssh_fs_read",
      description: `Read a file on the device (at most ${manifest.maxOutputBytes} bytes). ${where}`,
      inputSchema: { type: "object", properties: { path: { type: "string" } }, required: ["path"] },
      classify: () => readOnly("ssh_fs_read"),
      timeoutMs,
      execute: (input: Input, ctx: ToolContext) =>
        audited(
          deps,
          "ssh_fs_read",
          input,
          ctx,
          onePathPlan(manifest, input, "file", ["head", "-c", String(manifest.maxOutputBytes + 1), "--"]),
        ),
    },
    {
      name: "ssh_fs_list",
      description: `List a directory on the device (ls -la). ${where}`,
      inputSchema: { type: "object", properties: { path: { type: "string" } }, required: ["path"] },
      classify: () => readOnly("ssh_fs_list"),
      timeoutMs,
      execute: (input: Input, ctx: ToolContext) =>
        audited(
          deps,
          "ssh_fs_list",
          input,
          ctx,
          onePathPlan(manifest, input, "dir", ["ls", "-la", "--time-style=long-iso", "--"]),
        ),
    },
  ] as Tool[];
}

/** SSH tools only read: an accepted call is read; the grammar's class is reported for anything else. */
function classifyExec(manifest: SshManifest, input: Input): ApprovalNeed {
  const decision = checkSshArgv(manifest, Array.isArray(input.argv) ? (input.argv as unknown[]) : []);
  if (decision.ok) return { needed: false, callClass: "read", reason: `${decision.form} only reads` };
  // Refused before anything is sent — a change form too (an SSH-only device only reads): no
  // operator can make it acceptable, so none is asked; the class is still reported.
  return {
    needed: false,
    callClass: decision.callClass ?? "read",
    reason: `refused by policy: ${decision.reason}`,
  };
}

function execPlan(manifest: SshManifest, input: Input): Plan {
  const decision = checkSshArgv(manifest, Array.isArray(input.argv) ? (input.argv as unknown[]) : []);
  if (!decision.ok) return { refusal: decision.reason };
  const opened = decision.paths.map((p) => ({ path: p.path, want: "any" as const }));
  const argv: ScriptPlan["argv"][number][] = decision.argv.map((word, index) => {
    const at = decision.paths.findIndex((p) => p.index === index);
    return at < 0 ? word : { prefix: decision.paths[at]!.prefix, open: at };
  });
  const follow = followArgumentLinksFlag(decision.argv[0]!);
  if (follow && opened.length > 0) argv.splice(1, 0, follow);
  if (decision.cwd === undefined) return { plan: { opened, argv } };
  return { plan: { opened: [...opened, { path: decision.cwd, want: "dir" }], cwd: opened.length, argv } };
}

function onePathPlan(manifest: SshManifest, input: Input, want: "file" | "dir", program: string[]): Plan {
  const path = input.path;
  if (typeof path !== "string") return { refusal: "path must be a string" };
  const problem = pathProblem(path, manifest.pathsAllowed);
  if (problem) return { refusal: problem };
  return {
    plan: { opened: [{ path: normaliseAbsolute(path)!, want }], argv: [...program, { prefix: "", open: 0 }] },
  };
}

/** Writes the call (or its refusal) to the audit log, sends it, checks the header, writes the result. */
async function audited(
  deps: SshToolDeps,
  capability: string,
  input: Input,
  ctx: ToolContext,
  planned: Plan,
): Promise<ToolResult> {
  const intent = { capability, args: input, caller: ctx.caller };
  if ("refusal" in planned) {
    const auditId = deps.audit.recordCall(intent, planned.refusal);
    return { ok: false, refusal: planned.refusal, output: `refused: ${planned.refusal}`, auditId };
  }
  // No audit row, no call: if this throws, nothing below runs.
  const auditId = deps.audit.recordCall(intent);
  const started = performance.now();
  const nonce = (deps.nonce ?? newNonce)();
  let result: ExecResult;
  try {
    result = await deps.pool.exec(
      deps.target,
      buildRemoteCommand({ ...planned.plan, nonce }, deps.manifest.timeoutS),
      {
        timeoutMs: deps.manifest.timeoutS * 1000 + 5000,
        maxBytes: deps.manifest.maxOutputBytes + HEADER_BYTES,
      },
    );
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
  const judged = judgeOutput(result, { ...planned.plan, nonce }, deps.manifest);
  deps.audit.recordResult(auditId, capability, ctx.caller, {
    exitCode: result.exitCode,
    bytes: result.bytes,
    durationMs: performance.now() - started,
    ...("result" in judged
      ? result.timedOut
        ? { error: "timed out" }
        : {}
      : { error: `refused: ${judged.refusal}` }),
  });
  if ("result" in judged) return { ...judged.result, auditId };
  return { ok: false, refusal: judged.refusal, output: `refused: ${judged.refusal}`, auditId };
}
