import { z } from "zod";
import type { ChainHead, VerifyResult } from "../common/audit/chain";
import { healthReplySchema, parseWire } from "../capabilities/wg/wire";
import { agentRequest } from "../capabilities/wg/agent-http";
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
  capabilities: number;
  audit: ChainHead;
  /** The agent's build ("meshpilot-device-agent 0.1.0 linux-amd64"), when it says. */
  version?: string | undefined;
}

/** A signed GET /health; anything but a 200 with the expected body is a failure. */
export async function agentHealth(baseUrl: string, secret: string, timeoutMs: number): Promise<AgentHealth> {
  const reply = await agentRequest(baseUrl, secret, "GET", "/health", undefined, timeoutMs);
  if (reply.status !== 200) throw new Error(`HTTP ${reply.status}`);
  return parseWire(healthReplySchema, reply.body, "GET /health");
}

const selfVerifySchema = z.union([
  z.object({ ok: z.literal(true) }),
  z.object({ ok: z.literal(false), firstBrokenId: z.number().int(), reason: z.string().max(500) }),
]);

/**
 * The device's own check of its whole chain. Never trusted as a pass (a device can re-chain
 * and say ok: the bot's copy decides that); used only as an admission: an entry edited or
 * deleted inside the range the bot already holds breaks the device's chain without touching
 * the bot's last entry, and the device's verify finds it.
 */
export async function agentSelfVerifyFailure(
  baseUrl: string,
  secret: string,
  timeoutMs: number,
): Promise<{ firstBrokenId: number; reason: string } | undefined> {
  const reply = await agentRequest(baseUrl, secret, "GET", "/audit/verify", undefined, timeoutMs);
  if (reply.status !== 200) throw new Error(`/audit/verify: HTTP ${reply.status}`);
  const result = parseWire(selfVerifySchema, reply.body, "GET /audit/verify");
  return result.ok ? undefined : { firstBrokenId: result.firstBrokenId, reason: result.reason };
}

export function toAuditVerdict(
  result: VerifyResult | { ok: false; firstBrokenId: number; reason: string },
): AuditVerdict {
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
