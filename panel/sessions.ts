import { timingSafeEqual } from "node:crypto";
import { hashSecret, newSecret } from "./tokens";

export interface Session {
  operator: string;
  /** Sent in every page's forms and the script's requests; checked on every POST. */
  csrf: string;
  createdAt: number;
  expiresAt: number;
}

/**
 * Panel sessions: the cookie holds a random id, the map its hash. A fixed lifetime (no
 * sliding), and `!panel logout` ends every session of that operator. In memory: a restart
 * logs everyone out.
 */
export class Sessions {
  private readonly byHash = new Map<string, Session>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  create(operator: string): { id: string; session: Session } {
    this.sweep();
    const id = newSecret();
    const createdAt = this.now();
    const session = { operator, csrf: newSecret(), createdAt, expiresAt: createdAt + this.ttlMs };
    this.byHash.set(hashSecret(id), session);
    return { id, session };
  }

  get(id: string | undefined): Session | undefined {
    if (!id || id.length > 100) return undefined;
    const hash = hashSecret(id);
    const session = this.byHash.get(hash);
    if (!session) return undefined;
    if (this.now() > session.expiresAt) {
      this.byHash.delete(hash);
      return undefined;
    }
    return session;
  }

  end(id: string): void {
    this.byHash.delete(hashSecret(id));
  }

  /** Ends every session of the operator; returns how many there were. */
  endAll(operator: string): number {
    let n = 0;
    for (const [hash, session] of this.byHash)
      if (session.operator === operator) {
        this.byHash.delete(hash);
        n++;
      }
    return n;
  }

  count(operator: string): number {
    return [...this.byHash.values()].filter((s) => s.operator === operator && this.now() <= s.expiresAt)
      .length;
  }

  private sweep(): void {
    const now = this.now();
    for (const [hash, session] of this.byHash) if (now > session.expiresAt) this.byHash.delete(hash);
  }
}

/** The CSRF check: a missing or different token is refused, compared in constant time. */
export function csrfMatches(session: Session, sent: string | undefined): boolean {
  if (typeof sent !== "string" || sent.length === 0) return false;
  const a = Buffer.from(session.csrf);
  const b = Buffer.from(sent);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The Set-Cookie header for a session; Secure when the panel is reached over https. */
export function sessionCookie(id: string, maxAgeS: number, secure: boolean): string {
  return [
    `${COOKIE}=${id}`,
    "Path=/",
    `Max-Age=${maxAgeS}`,
    "HttpOnly",
    "SameSite=Strict",
    ...(secure ? ["Secure"] : []),
  ].join("; ");
}

export function clearedCookie(secure: boolean): string {
  return sessionCookie("", 0, secure);
}

export const COOKIE = "meshpilot_panel";

/** The session id from a Cookie header. */
export function cookieValue(header: string | undefined): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const [name, ...rest] = part.trim().split("=");
    if (name === COOKIE) return rest.join("=");
  }
  return undefined;
}
