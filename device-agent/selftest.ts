import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AuditLog } from "../common/audit/log";
import type { OpenAuditDb } from "./audit-db";
import { makeState } from "./agent";
import { invoke } from "./invoke";
import { CHECKS, SELF_TEST_PROGRAMS, Skip, type Caller } from "./selftest-checks";
import { removeTree } from "./selftest-support";
import { manifestSchema } from "./manifest/schema";
import { resolveRealPath } from "./manifest/resolve";
import { CAPABILITY_NAMES } from "../common/capabilities";

/**
 * `device-agent --self-test`: every capability that can run here, run for real against a
 * temporary directory through the same path a request takes (policy, audit, execute), plus
 * the refusals and the audit chain. Anything that fails makes the exit code non-zero.
 */
export interface SelfTestLine {
  status: "ok" | "FAIL" | "skip";
  name: string;
  detail: string;
}

export async function runSelfTest(openDb: OpenAuditDb, write: (line: string) => void): Promise<boolean> {
  const dir = await resolveRealPath(mkdtempSync(join(tmpdir(), "meshpilot-self-test-")));
  const lines: SelfTestLine[] = [];
  const report = (line: SelfTestLine): void => {
    lines.push(line);
    write(`${line.status.padEnd(4)} ${line.name.padEnd(22)} ${line.detail}\n`);
  };
  const db = openDb(join(dir, "audit.db"));
  try {
    const manifest = manifestSchema.parse({
      version: 1,
      // Default classes: change and run need an operator, read does not.
      capabilities: { enabled: [...CAPABILITY_NAMES], approval_required: [] },
      paths_allowed: [`${dir}/**`],
      default_cwd: dir,
      shell: { binaries_allowed: SELF_TEST_PROGRAMS },
      limits: { timeout_ms: 20_000, output_bytes: 4096 },
    });
    const state = makeState(manifest, new AuditLog(db));
    const call: Caller = (capability, args, approved = true) =>
      invoke(state.registry, state.ctx, state.audit, {
        capability,
        args,
        caller: "@self-test",
        ...(approved ? { approvedBy: "@self-test" } : {}),
      });
    for (const [name, check] of CHECKS) {
      try {
        const outcome = await check(call, { dir, state });
        report(
          outcome instanceof Skip
            ? { status: "skip", name, detail: outcome.why }
            : { status: "ok", name, detail: outcome },
        );
      } catch (error) {
        report({ status: "FAIL", name, detail: error instanceof Error ? error.message : String(error) });
      }
    }
  } finally {
    db.close();
    // Last check: nothing left open or behind (on Windows an open file keeps its directory).
    try {
      removeTree(dir);
      report({ status: "ok", name: "cleanup", detail: "removed the temporary directory" });
    } catch (error) {
      report({ status: "FAIL", name: "cleanup", detail: `${dir}: ${(error as Error).message}` });
    }
  }
  const count = (s: SelfTestLine["status"]): number => lines.filter((l) => l.status === s).length;
  write(`self-test: ${count("ok")} passed, ${count("FAIL")} failed, ${count("skip")} skipped\n`);
  return count("FAIL") === 0;
}
