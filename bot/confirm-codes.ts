import { randomInt } from "node:crypto";

/** No 0/O or 1/I: a code read off a phone screen is typed back right the first time. */
const ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
const MAX_WRONG = 3;

export type ConfirmOutcome =
  { ok: true } | { ok: false; why: "none" | "expired" | "other_operator" | "wrong" | "too_many_wrong" };

interface Pending {
  code: string;
  operator: string;
  expiresAt: number;
  wrong: number;
}

/**
 * One-time confirmation codes for destructive commands, one per subject (a device name).
 * Only the operator who asked may confirm, before expiry; a code works once, and three
 * wrong guesses burn it. Kept in memory: a restart simply asks for a new code.
 */
export class ConfirmCodes {
  private readonly pending = new Map<string, Pending>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  issue(subject: string, operator: string): string {
    const code = Array.from({ length: 4 }, () => ALPHABET[randomInt(ALPHABET.length)]).join("");
    this.pending.set(subject, { code, operator, expiresAt: this.now() + this.ttlMs, wrong: 0 });
    return code;
  }

  confirm(subject: string, operator: string, code: string): ConfirmOutcome {
    const pending = this.pending.get(subject);
    if (!pending) return { ok: false, why: "none" };
    if (this.now() > pending.expiresAt) {
      this.pending.delete(subject);
      return { ok: false, why: "expired" };
    }
    // Another operator's attempt neither uses nor burns the code of the one who asked.
    if (pending.operator !== operator) return { ok: false, why: "other_operator" };
    if (pending.code !== code.trim().toUpperCase()) {
      pending.wrong++;
      if (pending.wrong >= MAX_WRONG) {
        this.pending.delete(subject);
        return { ok: false, why: "too_many_wrong" };
      }
      return { ok: false, why: "wrong" };
    }
    this.pending.delete(subject);
    return { ok: true };
  }
}
