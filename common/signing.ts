import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";

/**
 * Request signing between the bot and a device agent, one copy for both sides (Node
 * `crypto` only, so it runs on Node and in the Bun-built agent). A request carries a
 * timestamp, a nonce and an HMAC-SHA256 over method, path (with its query), the body's
 * SHA-256, the timestamp and the nonce, keyed by the device's secret. The agent accepts
 * it once, and only within ±60 s of its own clock.
 */
export const SIGNATURE_HEADER = "x-meshpilot-signature";
export const TIMESTAMP_HEADER = "x-meshpilot-timestamp";
export const NONCE_HEADER = "x-meshpilot-nonce";
export const DEFAULT_WINDOW_MS = 60_000;

const NONCE_PATTERN = /^[A-Za-z0-9_-]{16,128}$/;
const SIGNATURE_PATTERN = /^[0-9a-f]{64}$/;

export interface SignableRequest {
  method: string;
  /** Path and query exactly as sent on the request line, e.g. `/audit/entries?after=4`. */
  path: string;
  body: string | Uint8Array;
}

export type SignedHeaders = Record<
  typeof SIGNATURE_HEADER | typeof TIMESTAMP_HEADER | typeof NONCE_HEADER,
  string
>;

export function bodyHash(body: string | Uint8Array): string {
  return createHash("sha256").update(body).digest("hex");
}

/** The exact bytes that are MACed; a version prefix leaves room to change the scheme. */
export function canonicalRequest(request: SignableRequest, timestamp: string, nonce: string): string {
  return [
    "meshpilot-v1",
    request.method.toUpperCase(),
    request.path,
    bodyHash(request.body),
    timestamp,
    nonce,
  ].join("\n");
}

function mac(secret: string, text: string): string {
  return createHmac("sha256", secret).update(text).digest("hex");
}

/** Headers for a request the bot sends. `now` and `nonce` are injectable for tests. */
export function signRequest(
  secret: string,
  request: SignableRequest,
  now: number = Date.now(),
  nonce: string = randomBytes(16).toString("hex"),
): SignedHeaders {
  const timestamp = String(now);
  return {
    [SIGNATURE_HEADER]: mac(secret, canonicalRequest(request, timestamp, nonce)),
    [TIMESTAMP_HEADER]: timestamp,
    [NONCE_HEADER]: nonce,
  };
}

/** Why a request was rejected. For the agent's own log only: the 401 body never says. */
export type VerifyFailure = "missing" | "malformed" | "bad_signature" | "stale" | "replayed" | "busy";

export type VerifyOutcome = { ok: true } | { ok: false; reason: VerifyFailure };

export interface VerifyOptions {
  now?: number;
  windowMs?: number;
}

/**
 * Checks a request. Order matters: the MAC is checked before the nonce is remembered,
 * so unauthenticated traffic cannot fill the nonce cache.
 */
export function verifyRequest(
  secret: string,
  request: SignableRequest,
  headers: Record<string, string | string[] | undefined>,
  nonces: NonceCache,
  options: VerifyOptions = {},
): VerifyOutcome {
  const signature = single(headers[SIGNATURE_HEADER]);
  const timestamp = single(headers[TIMESTAMP_HEADER]);
  const nonce = single(headers[NONCE_HEADER]);
  if (signature === undefined || timestamp === undefined || nonce === undefined) {
    return { ok: false, reason: "missing" };
  }
  if (!SIGNATURE_PATTERN.test(signature) || !/^\d{1,16}$/.test(timestamp) || !NONCE_PATTERN.test(nonce)) {
    return { ok: false, reason: "malformed" };
  }
  const expected = Buffer.from(mac(secret, canonicalRequest(request, timestamp, nonce)), "hex");
  if (!timingSafeEqual(expected, Buffer.from(signature, "hex")))
    return { ok: false, reason: "bad_signature" };
  const now = options.now ?? Date.now();
  const windowMs = options.windowMs ?? DEFAULT_WINDOW_MS;
  const sentAt = Number(timestamp);
  if (Math.abs(now - sentAt) > windowMs) return { ok: false, reason: "stale" };
  const remembered = nonces.remember(nonce, sentAt + windowMs, now);
  if (remembered === "seen") return { ok: false, reason: "replayed" };
  if (remembered === "full") return { ok: false, reason: "busy" };
  return { ok: true };
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? (value.length === 1 ? value[0] : undefined) : value;
}

/**
 * Nonces seen within the window. A nonce only needs remembering until its timestamp
 * leaves the window — after that the timestamp check rejects it anyway — so the cache
 * stays bounded by traffic per window. When it is full of live nonces it fails closed
 * ("full") instead of forgetting one that could then be replayed.
 */
export class NonceCache {
  /** nonce → expiry (ms); a Map keeps insertion order, which is close to expiry order. */
  private readonly seen = new Map<string, number>();

  constructor(private readonly capacity = 100_000) {}

  remember(nonce: string, expiresAt: number, now: number): "new" | "seen" | "full" {
    const expiry = this.seen.get(nonce);
    if (expiry !== undefined && expiry >= now) return "seen";
    this.evictExpired(now);
    if (this.seen.size >= this.capacity) return "full";
    this.seen.set(nonce, expiresAt);
    return "new";
  }

  get size(): number {
    return this.seen.size;
  }

  private evictExpired(now: number): void {
    // Expiries are timestamp+window, and timestamps arrive roughly in order: stop at the
    // first live entry unless the cache is full, then sweep everything once.
    for (const [nonce, expiry] of this.seen) {
      if (expiry >= now) {
        if (this.seen.size < this.capacity) return;
        continue;
      }
      this.seen.delete(nonce);
    }
  }
}
