import { mkdirSync, mkdtempSync, realpathSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AuditLog } from "../../../common/audit/log";
import { CAPABILITY_NAMES, type CapabilityName } from "../../../common/capabilities";
import { makeState } from "../../../device-agent/agent";
import { manifestSchema } from "../../../device-agent/manifest/schema";
import { openNodeAuditDb } from "../../../device-agent/node-db";
import type { AgentState } from "../../../device-agent/server/routes";

/** A real agent state (better-sqlite3 audit in a temp dir, the real capabilities) for tests. */
export function agentFixture(options: { approval?: CapabilityName[]; enabled?: CapabilityName[] } = {}): {
  home: string;
  state: AgentState;
  db: ReturnType<typeof openNodeAuditDb>;
} {
  const root = realpathSync(mkdtempSync(join(tmpdir(), "mp-agent-")));
  const home = join(root, "home");
  mkdirSync(home);
  const db = openNodeAuditDb(join(root, "audit.db"));
  const manifest = manifestSchema.parse({
    version: 1,
    capabilities: {
      enabled: options.enabled ?? [...CAPABILITY_NAMES],
      approval_required: options.approval ?? ["shell.eval"],
    },
    paths_allowed: [`${home}/**`],
    default_cwd: home,
    shell: { binaries_allowed: ["echo", "printf"] },
    limits: { output_bytes: 1024, timeout_ms: 5000 },
  });
  return { home, db, state: makeState(manifest, new AuditLog(db)) };
}
