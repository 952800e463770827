/**
 * The agent's log: JSON lines on stdout (a service manager collects them). pino would
 * do, but its transports use worker threads that a single-file executable does not ship;
 * the agent needs only this much.
 */
export type LogLevel = "debug" | "info" | "warn" | "error";
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface AgentLog {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export function createAgentLog(
  level: LogLevel = "info",
  write: (line: string) => void = (l) => process.stdout.write(l),
): AgentLog {
  const at =
    (lvl: LogLevel) =>
    (msg: string, fields: Record<string, unknown> = {}): void => {
      if (ORDER[lvl] < ORDER[level]) return;
      write(`${JSON.stringify({ level: lvl, time: new Date().toISOString(), msg, ...fields })}\n`);
    };
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

export const silentLog: AgentLog = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
