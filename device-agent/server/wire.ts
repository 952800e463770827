import { DEFAULT_WINDOW_MS, NONCE_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER } from "../../common/signing";

/** What the agent's HTTP server allows a peer before (and while) it is authenticated. */
export interface WireLimits {
  /** Open connections at most; more are dropped on accept (the bot needs a handful). */
  maxConnections: number;
  /** Time to send the request headers, from connect. */
  headersTimeoutMs: number;
  /** Time to send the whole request. */
  requestTimeoutMs: number;
  /** How long an idle keep-alive connection stays open. */
  keepAliveTimeoutMs: number;
}

export const WIRE_LIMITS: WireLimits = {
  maxConnections: 16,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
};

/** Room for the call envelope (capability, caller, arguments other than file content). */
export const BODY_OVERHEAD_BYTES = 64 * 1024;

/**
 * The largest request body accepted: the envelope plus the manifest's write_bytes as
 * base64 (4 bytes for every 3), the largest thing a call carries.
 */
export function bodyCap(writeBytes: number): number {
  return BODY_OVERHEAD_BYTES + Math.ceil(writeBytes / 3) * 4;
}

/**
 * What can be judged before the body is read: the three signature headers present, well
 * formed, and the timestamp within the window. The HMAC itself needs the body (see
 * common/signing.ts); the nonce is remembered only after it. Returns why it fails.
 */
export function precheckHeaders(
  headers: Record<string, string | string[] | undefined>,
  now: number,
  windowMs: number = DEFAULT_WINDOW_MS,
): string | undefined {
  const signature = headers[SIGNATURE_HEADER];
  const timestamp = headers[TIMESTAMP_HEADER];
  const nonce = headers[NONCE_HEADER];
  if (typeof signature !== "string" || typeof timestamp !== "string" || typeof nonce !== "string") {
    return "missing";
  }
  if (
    !/^[0-9a-f]{64}$/.test(signature) ||
    !/^\d{1,16}$/.test(timestamp) ||
    !/^[A-Za-z0-9_-]{16,128}$/.test(nonce)
  ) {
    return "malformed";
  }
  if (Math.abs(now - Number(timestamp)) > windowMs) return "stale";
  return undefined;
}
