import { mkdirSync, mkdtempSync, realpathSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AuditLog } from "../../../common/audit/log";
import { CAPABILITY_NAMES, type CapabilityName } from "../../../common/capabilities";
import type { CallClass } from "../../../common/policy/types";
import { makeState } from "../../../device-agent/agent";
import { invoke, type CallRequest } from "../../../device-agent/invoke";
import { manifestSchema } from "../../../device-agent/manifest/schema";
import { openNodeAuditDb } from "../../../device-agent/node-db";
import type { AgentState } from "../../../device-agent/server/routes";

export interface AgentFixture {
  root: string;
  home: string;
  state: AgentState;
  db: ReturnType<typeof openNodeAuditDb>;
}

/** A real agent state (better-sqlite3 audit in a temp dir, the real capabilities) for tests. */
export function agentFixture(
  options: {
    approval?: CapabilityName[];
    /** Classes that need approval; default: none, so tests run calls directly unless they say. */
    approvalClasses?: CallClass[];
    enabled?: CapabilityName[];
    programs?: string[];
  } = {},
): AgentFixture {
  const root = realpathSync(mkdtempSync(join(tmpdir(), "mp-agent-")));
  const home = join(root, "home");
  mkdirSync(home);
  const db = openNodeAuditDb(join(root, "audit.db"));
  const manifest = manifestSchema.parse({
    version: 1,
    capabilities: {
      enabled: options.enabled ?? [...CAPABILITY_NAMES],
      approval_required: options.approval ?? ["shell.eval"],
      approval_classes: options.approvalClasses ?? [],
    },
    paths_allowed: [`${home}/**`],
    default_cwd: home,
    shell: { binaries_allowed: options.programs ?? ["echo", "ls", "cat", "find", "git", "grep", "head"] },
    limits: { output_bytes: 1024, timeout_ms: 5000 },
  });
  return { root, home, db, state: makeState(manifest, new AuditLog(db)) };
}

/** One call through the real path (policy, audit, run), as @op:x. */
export function callAgent(f: AgentFixture, request: Omit<CallRequest, "caller">) {
  return invoke(f.state.registry, f.state.ctx, f.state.audit, { caller: "@op:x", ...request });
}
