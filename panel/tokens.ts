import { createHash, randomBytes } from "node:crypto";

/** Login links and session ids: 256 random bits, base64url; only their SHA-256 is kept. */
export function newSecret(): string {
  return randomBytes(32).toString("base64url");
}

export function hashSecret(secret: string): string {
  return createHash("sha256").update(secret).digest("hex");
}

const SECRET = /^[A-Za-z0-9_-]{43}$/;

export type LinkRefusal = "unknown" | "expired" | "used";

interface Link {
  operator: string;
  expiresAt: number;
  usedAt: number | null;
}

/**
 * One-time login links from `!panel`: bound to the operator who asked, valid for ttlMs,
 * used by one POST. Looking (peek) never uses a link: link previews and prefetchers GET it.
 * Kept in memory, hashed; a restart kills every link (send !panel again).
 */
export class LoginLinks {
  private readonly links = new Map<string, Link>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  issue(operator: string): { token: string; expiresAt: number } {
    this.sweep();
    const token = newSecret();
    const expiresAt = this.now() + this.ttlMs;
    this.links.set(hashSecret(token), { operator, expiresAt, usedAt: null });
    return { token, expiresAt };
  }

  /** Whose link this is, if it could still be used; never changes anything. */
  peek(token: string): { ok: true; operator: string } | { ok: false; why: LinkRefusal } {
    const link = SECRET.test(token) ? this.links.get(hashSecret(token)) : undefined;
    if (!link) return { ok: false, why: "unknown" };
    if (link.usedAt !== null) return { ok: false, why: "used" };
    if (this.now() > link.expiresAt) return { ok: false, why: "expired" };
    return { ok: true, operator: link.operator };
  }

  /** Uses the link: true once, for the operator it was issued to. */
  consume(token: string): { ok: true; operator: string } | { ok: false; why: LinkRefusal } {
    const seen = this.peek(token);
    if (!seen.ok) return seen;
    this.links.get(hashSecret(token))!.usedAt = this.now();
    return seen;
  }

  /** `!panel logout`: the operator's unused links die too. */
  revokeAll(operator: string): number {
    let n = 0;
    for (const [hash, link] of this.links)
      if (link.operator === operator && link.usedAt === null) {
        this.links.delete(hash);
        n++;
      }
    return n;
  }

  /** Used links are remembered until they would have expired (to say "used", not "unknown"). */
  private sweep(): void {
    const now = this.now();
    for (const [hash, link] of this.links) if (now > link.expiresAt) this.links.delete(hash);
  }
}
