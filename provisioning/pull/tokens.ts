import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { Db } from "../../state/db";

/**
 * One-time enrollment links. The token is 256 random bits, shown once (in the operator's
 * reply) and kept only as its SHA-256, so the state database cannot be used to enroll.
 * A link is bound to a device name, an OS/arch and a manifest profile, and is used by at
 * most one machine: the first POST with it claims it (pending → used) atomically.
 */
export interface Enrollment {
  token_hash: string;
  name: string;
  os: string;
  arch: string;
  profile: string;
  created_by: string;
  created_at: number;
  expires_at: number;
  status: "pending" | "used" | "cancelled" | "expired";
  used_at: number | null;
  machine_id: string | null;
  public_key: string | null;
  address: string | null;
  /** "link": a one-time link; "bundle": made by `meshpilot bundle`, finished when its key shakes hands. */
  kind?: "link" | "bundle";
}

export interface NewBundle {
  name: string;
  os: string;
  arch: string;
  by: string;
  publicKey: string;
  expiresAt: number;
}

export interface NewEnrollment {
  name: string;
  os: string;
  arch: string;
  profile: string;
  by: string;
  ttlS: number;
}

/** 43 url-safe characters; the shape is checked before any lookup. */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

export function isTokenShaped(text: string): boolean {
  return TOKEN_SHAPE.test(text);
}

export class EnrollmentStore {
  constructor(
    private readonly db: Db,
    private readonly now: () => number = Date.now,
  ) {}

  /** A new link; a pending link for the same name is cancelled (one live link per name). */
  create(request: NewEnrollment): { token: string; enrollment: Enrollment } {
    const token = randomBytes(32).toString("base64url");
    const now = this.now();
    const row: Enrollment = {
      token_hash: hashToken(token),
      name: request.name,
      os: request.os,
      arch: request.arch,
      profile: request.profile,
      created_by: request.by,
      created_at: now,
      expires_at: now + request.ttlS * 1000,
      status: "pending",
      used_at: null,
      machine_id: null,
      public_key: null,
      address: null,
    };
    this.db.transaction(() => {
      this.db
        .prepare("UPDATE enrollments SET status = 'cancelled' WHERE name = ? AND status = 'pending'")
        .run(request.name);
      this.db
        .prepare(
          `INSERT INTO enrollments (token_hash, name, os, arch, profile, created_by, created_at, expires_at, status)
           VALUES (@token_hash, @name, @os, @arch, @profile, @created_by, @created_at, @expires_at, 'pending')`,
        )
        .run(row);
    })();
    return { token, enrollment: row };
  }

  /** The link a token names, whatever its state; undefined for anything else. */
  find(token: string): Enrollment | undefined {
    if (!isTokenShaped(token)) return undefined;
    const hash = hashToken(token);
    const row = this.byHash(hash);
    // The lookup is by hash already; the comparison keeps a timing oracle out of the picture.
    return row && timingSafeEqual(Buffer.from(row.token_hash), Buffer.from(hash)) ? row : undefined;
  }

  byHash(hash: string): Enrollment | undefined {
    return this.db.prepare("SELECT * FROM enrollments WHERE token_hash = ?").get(hash) as
      Enrollment | undefined;
  }

  /** True when the link was pending and unexpired and is now used by this machine. */
  claim(hash: string, machine: { machineId: string; publicKey: string; address: string }): boolean {
    const result = this.db
      .prepare(
        `UPDATE enrollments SET status = 'used', used_at = ?, machine_id = ?, public_key = ?, address = ?
         WHERE token_hash = ? AND status = 'pending' AND expires_at > ?`,
      )
      .run(this.now(), machine.machineId, machine.publicKey, machine.address, hash, this.now());
    return result.changes === 1;
  }

  /** Ends a link that was not used (its run failed or was rolled back). */
  void(hash: string, status: "cancelled" | "expired"): void {
    this.db
      .prepare("UPDATE enrollments SET status = ? WHERE token_hash = ? AND status = 'pending'")
      .run(status, hash);
  }

  /** `!enroll cancel <name>`: the name's pending links; enrolled devices are never touched. */
  cancel(name: string): number {
    return this.db
      .prepare("UPDATE enrollments SET status = 'cancelled' WHERE name = ? AND status = 'pending'")
      .run(name).changes;
  }

  /**
   * Pending links and bundles, oldest first; links past their time are marked expired first.
   * A bundle past its time stays pending until the bot has rolled it back (bundle/watch.ts).
   */
  pending(): Enrollment[] {
    this.db
      .prepare(
        "UPDATE enrollments SET status = 'expired' WHERE status = 'pending' AND expires_at <= ? AND kind = 'link'",
      )
      .run(this.now());
    return this.db
      .prepare("SELECT * FROM enrollments WHERE status = 'pending' ORDER BY created_at")
      .all() as Enrollment[];
  }

  /**
   * A bundle's pending enrollment. Its token is random and never shown: nothing can claim
   * it over the listener; only the hub seeing its public key finishes it.
   */
  createBundle(request: NewBundle): Enrollment {
    const row: Enrollment = {
      token_hash: hashToken(randomBytes(32).toString("base64url")),
      name: request.name,
      os: request.os,
      arch: request.arch,
      profile: "default",
      created_by: request.by,
      created_at: this.now(),
      expires_at: request.expiresAt,
      status: "pending",
      used_at: null,
      machine_id: null,
      public_key: request.publicKey,
      address: null,
      kind: "bundle",
    };
    this.db
      .prepare(
        `INSERT INTO enrollments (token_hash, name, os, arch, profile, created_by, created_at, expires_at, status, public_key, kind)
         VALUES (@token_hash, @name, @os, @arch, @profile, @created_by, @created_at, @expires_at, 'pending', @public_key, 'bundle')`,
      )
      .run(row);
    return row;
  }

  /** Pending bundles, oldest first, expired or not (the bot decides what an expired one becomes). */
  pendingBundles(): Enrollment[] {
    return this.db
      .prepare("SELECT * FROM enrollments WHERE kind = 'bundle' AND status = 'pending' ORDER BY created_at")
      .all() as Enrollment[];
  }

  /** A bundle's PC came up: pending → used (and back, when the finish is undone). */
  setBundleUsed(hash: string, used: boolean): void {
    this.db
      .prepare(
        used
          ? "UPDATE enrollments SET status = 'used', used_at = ? WHERE token_hash = ? AND kind = 'bundle' AND status = 'pending'"
          : "UPDATE enrollments SET status = 'pending', used_at = NULL WHERE ? IS NOT NULL AND token_hash = ? AND kind = 'bundle' AND status = 'used'",
      )
      .run(this.now(), hash);
  }

  isLive(row: Enrollment): boolean {
    return row.status === "pending" && row.expires_at > this.now();
  }
}
