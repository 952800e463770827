import { LoginLinks, hashSecret } from "../../../panel/tokens";
import { COOKIE, Sessions, cookieValue, csrfMatches, sessionCookie } from "../../../panel/sessions";
import { PanelAuth } from "../../../panel/auth";

describe("login links", () => {
  test("a link is 256 random bits, kept only as its hash, bound to the operator", () => {
    let now = 1_000;
    const links = new LoginLinks(600_000, () => now);
    const { token } = links.issue("@a:x");
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(token, "base64url")).toHaveLength(32);
    expect(JSON.stringify([...(links as unknown as { links: Map<string, unknown> }).links.keys()])).toContain(
      hashSecret(token),
    );
    expect(JSON.stringify([...(links as unknown as { links: Map<string, unknown> }).links])).not.toContain(
      token,
    );
    expect(links.peek(token)).toEqual({ ok: true, operator: "@a:x" });
    now += 1;
    expect(links.peek(token)).toEqual({ ok: true, operator: "@a:x" });
  });

  test("peeking never uses it; the first consume does, the second is refused", () => {
    const links = new LoginLinks(600_000);
    const { token } = links.issue("@a:x");
    for (let i = 0; i < 5; i++) expect(links.peek(token).ok).toBe(true);
    expect(links.consume(token)).toEqual({ ok: true, operator: "@a:x" });
    expect(links.consume(token)).toEqual({ ok: false, why: "used" });
    expect(links.peek(token)).toEqual({ ok: false, why: "used" });
  });

  test("expired after the ttl; unknown and malformed tokens refused", () => {
    let now = 0;
    const links = new LoginLinks(600_000, () => now);
    const { token } = links.issue("@a:x");
    now = 600_001;
    expect(links.consume(token)).toEqual({ ok: false, why: "expired" });
    expect(links.consume("x".repeat(43))).toEqual({ ok: false, why: "unknown" });
    expect(links.peek("../../etc")).toEqual({ ok: false, why: "unknown" });
  });

  test("revokeAll kills the operator's unused links only", () => {
    const links = new LoginLinks(600_000);
    const a = links.issue("@a:x").token;
    const b = links.issue("@b:x").token;
    expect(links.revokeAll("@a:x")).toBe(1);
    expect(links.peek(a).ok).toBe(false);
    expect(links.peek(b).ok).toBe(true);
  });
});

describe("sessions and CSRF", () => {
  test("a session lasts its ttl, found only by its id", () => {
    let now = 0;
    const sessions = new Sessions(43_200_000, () => now);
    const { id, session } = sessions.create("@a:x");
    expect(sessions.get(id)).toBe(session);
    expect(sessions.get(id.slice(1))).toBeUndefined();
    expect(sessions.get(undefined)).toBeUndefined();
    now = 43_200_001;
    expect(sessions.get(id)).toBeUndefined();
  });

  test("endAll ends every session of one operator and no other", () => {
    const sessions = new Sessions(1000_000);
    const a1 = sessions.create("@a:x").id;
    const a2 = sessions.create("@a:x").id;
    const b = sessions.create("@b:x").id;
    expect(sessions.endAll("@a:x")).toBe(2);
    expect(sessions.get(a1)).toBeUndefined();
    expect(sessions.get(a2)).toBeUndefined();
    expect(sessions.get(b)).toBeDefined();
  });

  test("the CSRF token must be present and exactly the session's", () => {
    const { session } = new Sessions(1000).create("@a:x");
    expect(csrfMatches(session, session.csrf)).toBe(true);
    expect(csrfMatches(session, undefined)).toBe(false);
    expect(csrfMatches(session, "")).toBe(false);
    expect(csrfMatches(session, session.csrf.slice(0, -1) + "A")).toBe(session.csrf.endsWith("A"));
    expect(csrfMatches(session, new Sessions(1000).create("@a:x").session.csrf)).toBe(false);
  });

  test("the cookie: HttpOnly, SameSite=Strict, 12 h, Secure only behind https", () => {
    expect(sessionCookie("abc", 43_200, false)).toBe(
      `${COOKIE}=abc; Path=/; Max-Age=43200; HttpOnly; SameSite=Strict`,
    );
    expect(sessionCookie("abc", 43_200, true)).toMatch(/; Secure$/);
    expect(cookieValue(`other=1; ${COOKIE}=abc; x=y`)).toBe("abc");
    expect(cookieValue(undefined)).toBeUndefined();
  });

  test("PanelAuth: the link carries the public URL; logout ends sessions and unused links", () => {
    const auth = new PanelAuth({
      public_url: "https://panel.example.org",
      login_ttl_s: 600,
      session_ttl_s: 43_200,
    });
    expect(auth.secure).toBe(true);
    const { url } = auth.link("@a:x");
    expect(url).toMatch(/^https:\/\/panel\.example\.org\/login\/[A-Za-z0-9_-]{43}$/);
    auth.sessions.create("@a:x");
    expect(auth.logout("@a:x")).toEqual({ sessions: 1, links: 1 });
  });
});
