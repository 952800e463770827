import type { ChainHead, VerifyResult } from "../common/audit/chain";
import { agentRequest } from "../device-agent/client/http";
import type { AuditVerdict } from "./types";

export interface ProbeSettings {
  timeoutMs: number;
  /** Extra tries after a failure. */
  retries: number;
}

export type ProbeResult<T> =
  { ok: true; value: T; tries: number } | { ok: false; error: string; tries: number };

/** Tries `attempt` up to 1 + retries times; the last error is the one reported. */
export async function withRetries<T>(
  settings: ProbeSettings,
  attempt: () => Promise<T>,
): Promise<ProbeResult<T>> {
  let error = "";
  for (let tries = 1; tries <= settings.retries + 1; tries++) {
    try {
      return { ok: true, value: await attempt(), tries };
    } catch (e) {
      error = describeError(e, settings.timeoutMs);
    }
  }
  return { ok: false, error, tries: settings.retries + 1 };
}

export interface AgentHealth {
  capabilities: number | null;
  audit: ChainHead | null;
}

/** A signed GET /health; anything but a 200 with a body is a failure. */
export async function agentHealth(baseUrl: string, secret: string, timeoutMs: number): Promise<AgentHealth> {
  const reply = await agentRequest(baseUrl, secret, "GET", "/health", undefined, timeoutMs);
  if (reply.status !== 200) throw new Error(`HTTP ${reply.status}`);
  const body = reply.body as { capabilities?: unknown; audit?: { count?: unknown; hash?: unknown } };
  return {
    capabilities: typeof body.capabilities === "number" ? body.capabilities : null,
    audit:
      typeof body.audit?.count === "number" && typeof body.audit.hash === "string"
        ? { count: body.audit.count, hash: body.audit.hash }
        : null,
  };
}

/** The device verifies its own chain, and against the head the bot remembers (cut or rewritten since). */
export async function agentAuditVerify(
  baseUrl: string,
  secret: string,
  remembered: ChainHead | undefined,
  timeoutMs: number,
): Promise<VerifyResult> {
  const query = remembered ? `?count=${remembered.count}&hash=${encodeURIComponent(remembered.hash)}` : "";
  const reply = await agentRequest(baseUrl, secret, "GET", `/audit/verify${query}`, undefined, timeoutMs);
  if (reply.status !== 200) throw new Error(`/audit/verify: HTTP ${reply.status}`);
  return reply.body as VerifyResult;
}

/** The latest call's time from the device's audit log (the last page of entries). */
export async function agentLastCallAt(
  baseUrl: string,
  secret: string,
  count: number,
  timeoutMs: number,
): Promise<number | null> {
  if (count === 0) return null;
  const reply = await agentRequest(
    baseUrl,
    secret,
    "GET",
    `/audit/entries?after=${Math.max(0, count - 2)}&limit=2`,
    undefined,
    timeoutMs,
  );
  const entries = (reply.body as { entries?: Array<{ ts?: unknown }> }).entries ?? [];
  const ts = entries.map((e) => e.ts).filter((t): t is number => typeof t === "number");
  return ts.length ? Math.max(...ts) : null;
}

export function toAuditVerdict(result: VerifyResult): AuditVerdict {
  return result.ok
    ? { ok: true, count: result.count }
    : { ok: false, firstBrokenId: result.firstBrokenId, reason: result.reason };
}

function describeError(error: unknown, timeoutMs: number): string {
  if (error instanceof Error) {
    if (error.name === "TimeoutError" || error.name === "AbortError")
      return `no answer within ${timeoutMs / 1000} s`;
    const cause = (error as { cause?: { code?: unknown } }).cause;
    if (typeof cause?.code === "string")
      return cause.code === "ECONNREFUSED" ? "connection refused" : cause.code;
    return error.message;
  }
  return String(error);
}
