import { readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { AuditLog } from "../common/audit/log";
import type { OpenAuditDb } from "./audit-db";
import { buildRegistry } from "./capabilities";
import type { CapabilityContext } from "./capabilities/types";
import { readSecret, type AgentConfig } from "./config";
import { makeWhich } from "./exec/which";
import { runProcess } from "./exec/run";
import type { AgentLog } from "./log";
import { parseManifest, type Manifest } from "./manifest/schema";
import { currentPlatform, type Platform } from "./platform";
import { Policy } from "./policy";
import { createAgentServer } from "./server/http";
import type { AgentState } from "./server/routes";
import { AGENT_VERSION } from "./version";

/** The capability context for a manifest on a platform: limits applied to every process run. */
export function makeContext(manifest: Manifest, platform: Platform = currentPlatform()): CapabilityContext {
  const policy = new Policy(manifest, platform);
  return {
    policy,
    platform,
    which: makeWhich(platform),
    selfPid: process.pid,
    run: (argv, options) =>
      runProcess(argv, {
        cwd: options.cwd,
        timeoutMs: options.timeoutMs ?? policy.timeout(undefined),
        outputBytes: options.outputBytes ?? policy.limits.output_bytes,
        platform,
        ...(options.env ? { env: options.env } : {}),
      }),
  };
}

export function makeState(manifest: Manifest, audit: AuditLog, platform?: Platform): AgentState {
  return {
    registry: buildRegistry(),
    ctx: makeContext(manifest, platform),
    audit,
    version: AGENT_VERSION,
    startedAt: Date.now(),
  };
}

export interface RunningAgent {
  url: string;
  close(): Promise<void>;
}

/** Loads the secret, manifest and audit database named by the config, and serves. */
export async function startAgent(
  config: AgentConfig,
  openDb: OpenAuditDb,
  log: AgentLog,
): Promise<RunningAgent> {
  const secret = readSecret(config.secret_file);
  const manifest = parseManifest(readFileSync(config.manifest, "utf8"), config.manifest);
  const db = openDb(config.audit_db);
  const audit = new AuditLog(db);
  const state = makeState(manifest, audit);
  const server = createAgentServer({ secret, state, log });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.listen.port, config.listen.address, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  log.info("device agent listening", { url, version: AGENT_VERSION, audit: audit.head() });
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          db.close();
          resolve();
        });
      }),
  };
}
