import { createHash, createHmac } from "node:crypto";
import { NonceCache, signRequest, verifyRequest, type SignableRequest } from "../../../common/signing";

const SECRET = "s".repeat(40);
const NOW = 1_700_000_000_000;
const request: SignableRequest = { method: "POST", path: "/call", body: '{"capability":"fs.list"}' };

function check(
  headers: Record<string, string>,
  options: { req?: SignableRequest; secret?: string; now?: number; nonces?: NonceCache } = {},
): ReturnType<typeof verifyRequest> {
  return verifyRequest(
    options.secret ?? SECRET,
    options.req ?? request,
    headers,
    options.nonces ?? new NonceCache(),
    {
      now: options.now ?? NOW,
    },
  );
}

describe("request signing", () => {
  test("a signed request verifies", () => {
    expect(check(signRequest(SECRET, request, NOW))).toEqual({ ok: true });
  });

  test("a tampered body, path or method fails", () => {
    const headers = signRequest(SECRET, request, NOW);
    expect(check(headers, { req: { ...request, body: '{"capability":"fs.write"}' } })).toEqual({
      ok: false,
      reason: "bad_signature",
    });
    expect(check(headers, { req: { ...request, path: "/call?x=1" } })).toEqual({
      ok: false,
      reason: "bad_signature",
    });
    expect(check(headers, { req: { ...request, method: "PUT" } })).toEqual({
      ok: false,
      reason: "bad_signature",
    });
  });

  test("a wrong key fails", () => {
    expect(check(signRequest("k".repeat(40), request, NOW))).toEqual({ ok: false, reason: "bad_signature" });
  });

  test("a timestamp outside ±60 s fails, inside passes", () => {
    expect(check(signRequest(SECRET, request, NOW - 60_001))).toEqual({ ok: false, reason: "stale" });
    expect(check(signRequest(SECRET, request, NOW + 60_001))).toEqual({ ok: false, reason: "stale" });
    expect(check(signRequest(SECRET, request, NOW - 59_000))).toEqual({ ok: true });
    expect(check(signRequest(SECRET, request, NOW + 59_000))).toEqual({ ok: true });
  });

  test("a changed timestamp header breaks the signature", () => {
    const headers = signRequest(SECRET, request, NOW - 120_000);
    expect(check({ ...headers, "x-meshpilot-timestamp": String(NOW) })).toEqual({
      ok: false,
      reason: "bad_signature",
    });
  });

  test("a replayed nonce fails, even with a fresh signature over it", () => {
    const nonces = new NonceCache();
    const headers = signRequest(SECRET, request, NOW, "n".repeat(32));
    expect(check(headers, { nonces })).toEqual({ ok: true });
    expect(check(headers, { nonces, now: NOW + 1000 })).toEqual({ ok: false, reason: "replayed" });
    const resigned = signRequest(SECRET, request, NOW + 2000, "n".repeat(32));
    expect(check(resigned, { nonces, now: NOW + 2000 })).toEqual({ ok: false, reason: "replayed" });
  });

  test("missing or malformed headers fail", () => {
    const headers = signRequest(SECRET, request, NOW);
    const { "x-meshpilot-nonce": _nonce, ...withoutNonce } = headers;
    expect(check(withoutNonce)).toEqual({ ok: false, reason: "missing" });
    expect(check({ ...headers, "x-meshpilot-signature": "zz" })).toEqual({ ok: false, reason: "malformed" });
    expect(check({ ...headers, "x-meshpilot-nonce": "short" })).toEqual({ ok: false, reason: "malformed" });
  });
});

describe("request signing, at the edges", () => {
  test("each header alone missing is 'missing'; a repeated header counts as missing", () => {
    const headers = signRequest(SECRET, request, NOW);
    for (const name of ["x-meshpilot-signature", "x-meshpilot-timestamp", "x-meshpilot-nonce"]) {
      const without: Record<string, string> = { ...headers };
      delete without[name];
      expect(check(without)).toEqual({ ok: false, reason: "missing" });
    }
    const twice = { ...headers, "x-meshpilot-nonce": [headers["x-meshpilot-nonce"], "n".repeat(32)] };
    expect(verifyRequest(SECRET, request, twice, new NonceCache(), { now: NOW })).toEqual({
      ok: false,
      reason: "missing",
    });
    const once = { ...headers, "x-meshpilot-nonce": [headers["x-meshpilot-nonce"]] };
    expect(verifyRequest(SECRET, request, once, new NonceCache(), { now: NOW })).toEqual({ ok: true });
  });

  test("a timestamp with anything around its digits is malformed", () => {
    const headers = signRequest(SECRET, request, NOW);
    expect(check({ ...headers, "x-meshpilot-timestamp": `x${NOW}` })).toEqual({
      ok: false,
      reason: "malformed",
    });
    expect(check({ ...headers, "x-meshpilot-timestamp": `${NOW}x` })).toEqual({
      ok: false,
      reason: "malformed",
    });
    expect(check({ ...headers, "x-meshpilot-timestamp": "1".repeat(17) })).toEqual({
      ok: false,
      reason: "malformed",
    });
  });

  test("exactly at the edge of the window is still fresh; the method is compared in upper case", () => {
    expect(check(signRequest(SECRET, request, NOW - 60_000))).toEqual({ ok: true });
    expect(check(signRequest(SECRET, request, NOW + 60_000))).toEqual({ ok: true });
    const lower = signRequest(SECRET, { ...request, method: "post" }, NOW);
    expect(check(lower)).toEqual({ ok: true });
  });
});

describe("the signature scheme, as the device agent checks it", () => {
  test("HMAC-SHA256 over meshpilot-v1, the upper-case method, path, body SHA-256, timestamp and nonce, one per line", () => {
    const nonce = "ab".repeat(16);
    const bodySha = createHash("sha256").update(request.body).digest("hex");
    const text = ["meshpilot-v1", "POST", "/call", bodySha, String(NOW), nonce].join("\n");
    expect(signRequest(SECRET, { ...request, method: "post" }, NOW, nonce)).toEqual({
      "x-meshpilot-signature": createHmac("sha256", SECRET).update(text).digest("hex"),
      "x-meshpilot-timestamp": String(NOW),
      "x-meshpilot-nonce": nonce,
    });
  });
});

describe("the nonce cache", () => {
  test("a nonce is seen until its expiry, inclusive, and new again after it", () => {
    const cache = new NonceCache(10);
    expect(cache.remember("a".repeat(16), NOW + 100, NOW)).toBe("new");
    expect(cache.remember("a".repeat(16), NOW + 100, NOW + 100)).toBe("seen");
    expect(cache.remember("a".repeat(16), NOW + 300, NOW + 101)).toBe("new");
  });

  test("not full: expired entries before the first live one are dropped, the rest kept", () => {
    const cache = new NonceCache(10);
    cache.remember("1".repeat(16), NOW + 10, NOW);
    cache.remember("2".repeat(16), NOW + 1000, NOW);
    cache.remember("3".repeat(16), NOW + 10, NOW);
    cache.remember("4".repeat(16), NOW + 1000, NOW + 20);
    // 1 expired and went; 2 is live, so the sweep stopped there (3 is dropped later).
    expect(cache.size).toBe(3);
  });

  test("full: one sweep drops every expired entry, wherever it is", () => {
    const cache = new NonceCache(3);
    cache.remember("1".repeat(16), NOW + 1000, NOW);
    cache.remember("2".repeat(16), NOW + 10, NOW);
    cache.remember("3".repeat(16), NOW + 1000, NOW);
    expect(cache.remember("4".repeat(16), NOW + 1000, NOW + 20)).toBe("new");
    expect(cache.size).toBe(3);
    expect(cache.remember("5".repeat(16), NOW + 1000, NOW + 20)).toBe("full");
  });

  test("forgets nonces once their timestamp has left the window", () => {
    const cache = new NonceCache(10);
    expect(cache.remember("a".repeat(16), NOW + 60_000, NOW)).toBe("new");
    expect(cache.remember("a".repeat(16), NOW + 60_000, NOW + 60_000)).toBe("seen");
    expect(cache.remember("b".repeat(16), NOW + 200_000, NOW + 60_001)).toBe("new");
    expect(cache.size).toBe(1);
  });

  test("when full of live nonces it refuses rather than forgetting one", () => {
    const cache = new NonceCache(3);
    for (const n of ["1", "2", "3"]) expect(cache.remember(n.repeat(16), NOW + 60_000, NOW)).toBe("new");
    expect(cache.remember("4".repeat(16), NOW + 60_000, NOW)).toBe("full");
    expect(cache.remember("1".repeat(16), NOW + 60_000, NOW)).toBe("seen");
    // Once the first ones expire there is room again.
    expect(cache.remember("4".repeat(16), NOW + 200_000, NOW + 60_001)).toBe("new");
  });

  test("a full cache makes verification fail closed", () => {
    const nonces = new NonceCache(1);
    expect(check(signRequest(SECRET, request, NOW), { nonces })).toEqual({ ok: true });
    expect(check(signRequest(SECRET, request, NOW), { nonces })).toEqual({ ok: false, reason: "busy" });
  });
});
