import type { SqlDatabase } from "../common/sql";

/**
 * How the agent's audit database is opened, per runtime: bun:sqlite in the executable
 * (bun-db.ts), better-sqlite3 under Node for tests and the benchmark (node-db.ts). Both
 * apply these pragmas.
 *
 * "Durable" here: WAL with synchronous=FULL fsyncs the WAL at every commit, so once
 * recordCall returns, its entry survives a crash of the agent, of the OS or a power cut —
 * and the command runs only after that. (synchronous=NORMAL would be faster but could lose
 * the last entries on power loss: exactly the rows that matter after an incident.)
 */
export const AUDIT_PRAGMAS = [
  "PRAGMA journal_mode = WAL",
  "PRAGMA synchronous = FULL",
  "PRAGMA busy_timeout = 5000",
];

export type OpenAuditDb = (path: string) => SqlDatabase & { close(): void };
