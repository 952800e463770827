import pino, { type Logger } from "pino";

export type { Logger } from "pino";

/**
 * Field names whose values are never written to a log. pino's redaction works on paths,
 * so the same names are listed at the top level and one level down.
 */
const SECRET_KEYS = [
  "as_token",
  "hs_token",
  "asToken",
  "hsToken",
  "access_token",
  "accessToken",
  "password",
  "secret",
  "privateKey",
  "private_key",
  "presharedKey",
  "apiKey",
  "api_key",
  "authorization",
];

export const REDACT_PATHS = [...SECRET_KEYS, ...SECRET_KEYS.map((key) => `*.${key}`)];

export interface LogOptions {
  level: string;
  /** Pretty, human output (when stdout is a terminal); JSON lines otherwise. */
  pretty: boolean;
  destination?: pino.DestinationStream;
}

export function createLogger(options: LogOptions): Logger {
  const base = { level: options.level, redact: { paths: REDACT_PATHS, censor: "[redacted]" } };
  if (options.destination) return pino(base, options.destination);
  if (options.pretty) {
    return pino({ ...base, transport: { target: "pino-pretty", options: { colorize: true } } });
  }
  return pino(base);
}
