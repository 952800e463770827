import { LogLevel, LogService, type ILogger } from "matrix-bot-sdk";
import type { Logger } from "../common/log";

/**
 * Routes matrix-bot-sdk's LogService into pino. The SDK's "info" is chatty per-request
 * detail (one line per transaction), so it becomes debug here.
 */
export function routeSdkLogs(log: Logger): void {
  const sdk = log.child({ component: "matrix-bot-sdk" });
  const format = (module: string, parts: unknown[]): [Record<string, unknown>, string] => {
    const err = parts.find((p) => p instanceof Error);
    const text = parts
      .filter((p) => !(p instanceof Error))
      .map((p) => (typeof p === "string" ? p : safeJson(p)))
      .join(" ");
    return [{ module, ...(err ? { err } : {}) }, text];
  };
  const logger: ILogger = {
    trace: (module: string, ...parts: unknown[]) => sdk.trace(...format(module, parts)),
    debug: (module: string, ...parts: unknown[]) => sdk.trace(...format(module, parts)),
    info: (module: string, ...parts: unknown[]) => sdk.debug(...format(module, parts)),
    warn: (module: string, ...parts: unknown[]) => sdk.warn(...format(module, parts)),
    error: (module: string, ...parts: unknown[]) => sdk.error(...format(module, parts)),
  };
  LogService.setLogger(logger);
  LogService.setLevel(log.isLevelEnabled("debug") ? LogLevel.DEBUG : LogLevel.INFO);
  // The SDK logs request and response bodies at debug; they can carry tokens.
  LogService.muteModule("MatrixHttpClient");
}

function safeJson(value: unknown): string {
  try {
    const text = JSON.stringify(value);
    return text && text.length > 500 ? `${text.slice(0, 500)}…` : (text ?? String(value));
  } catch {
    return String(value);
  }
}
