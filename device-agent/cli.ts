import type { OpenAuditDb } from "./audit-db";
import { startAgent } from "./agent";
import { loadAgentConfig } from "./config";
import { createAgentLog } from "./log";
import { runSelfTest } from "./selftest";
import { AGENT_BUILD } from "./version";

const USAGE = `usage: device-agent --config FILE   serve the signed HTTP API
       device-agent --self-test     run every capability here against a temp dir; exit 1 on failure
       device-agent --version
`;

/**
 * The command line, independent of the runtime: the Bun entry (main.ts) hands in
 * bun:sqlite, tests hand in better-sqlite3. Resolves to the exit code; for --config it
 * resolves only when the server stops (SIGTERM/SIGINT).
 */
export async function runCli(
  argv: readonly string[],
  openDb: OpenAuditDb,
  out: (text: string) => void,
): Promise<number> {
  const [flag, value] = argv;
  if (flag === "--version") {
    out(`${AGENT_BUILD}\n`);
    return 0;
  }
  if (flag === "--self-test") return (await runSelfTest(openDb, out)) ? 0 : 1;
  if (flag === "--config" && value) {
    const config = loadAgentConfig(value);
    const log = createAgentLog(config.log_level);
    const agent = await startAgent(config, openDb, log);
    await new Promise<void>((resolve) => {
      const stop = (signal: string): void => {
        log.info("stopping", { signal });
        resolve();
      };
      process.once("SIGTERM", () => stop("SIGTERM"));
      process.once("SIGINT", () => stop("SIGINT"));
    });
    await agent.close();
    return 0;
  }
  out(USAGE);
  return flag === "--help" ? 0 : 2;
}
