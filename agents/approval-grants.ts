import type { CallClass } from "../common/policy/types";
import type { Db } from "../state/db";
import { scopeKey, type ApprovalScope } from "./approval-scope";

/** A 🔁 session grant: one scope, allowed by one operator until expiresAt. */
export interface Grant {
  id: number;
  scope: ApprovalScope;
  roomId: string;
  grantedBy: string;
  grantedAt: number;
  expiresAt: number;
  uses: number;
}

interface Row {
  id: number;
  scope_key: string;
  device: string;
  tool: string;
  call_class: CallClass;
  program: string | null;
  room_id: string;
  granted_by: string;
  granted_at: number;
  expires_at: number;
  uses: number;
}

/**
 * Session grants in SQLite (approval_grants), so !approvals in the bot's command layer and
 * the agents' broker read the same rows. A grant is live while it has not ended and its
 * expiry is in the future by the injected clock; a call is covered only by a live grant
 * whose scope key is equal to its own. Grants end at a restart (endAll at start-up): what
 * an operator allowed for a process that is gone is asked again, with one tap.
 */
export class GrantStore {
  constructor(
    private readonly db: Db,
    private readonly now: () => number = Date.now,
  ) {}

  create(scope: ApprovalScope, by: string, roomId: string, approvalEvent: string, durationMs: number): Grant {
    const at = this.now();
    const result = this.db
      .prepare(
        `INSERT INTO approval_grants (scope_key, device, tool, call_class, program, room_id, approval_event,
           granted_by, granted_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        scopeKey(scope),
        scope.device,
        scope.tool,
        scope.callClass,
        scope.program,
        roomId,
        approvalEvent,
        by,
        at,
        at + durationMs,
      );
    return this.byId(Number(result.lastInsertRowid))!;
  }

  /** The live grant for exactly this scope (the newest, if an operator made two), or undefined. */
  covering(scope: ApprovalScope): Grant | undefined {
    const row = this.db
      .prepare(
        `SELECT * FROM approval_grants WHERE scope_key = ? AND ended_at IS NULL AND expires_at > ?
         ORDER BY expires_at DESC LIMIT 1`,
      )
      .get(scopeKey(scope), this.now()) as Row | undefined;
    return row ? grantOf(row) : undefined;
  }

  /** Counts one call run under the grant. */
  used(id: number): void {
    this.db.prepare("UPDATE approval_grants SET uses = uses + 1 WHERE id = ?").run(id);
  }

  /** Every live grant, soonest to expire first. */
  live(): Grant[] {
    const rows = this.db
      .prepare(
        "SELECT * FROM approval_grants WHERE ended_at IS NULL AND expires_at > ? ORDER BY expires_at, id",
      )
      .all(this.now()) as Row[];
    return rows.map((row) => grantOf(row));
  }

  /** Ends one live grant (by id) or all of them; returns the ids it ended. */
  revoke(which: number | "all", by: string): number[] {
    const live = this.live().filter((g) => which === "all" || g.id === which);
    const end = this.db.prepare(
      "UPDATE approval_grants SET ended_at = ?, ended_by = ?, end_reason = 'revoked' WHERE id = ? AND ended_at IS NULL",
    );
    const at = this.now();
    for (const grant of live) end.run(at, by, grant.id);
    return live.map((g) => g.id);
  }

  /** At start-up: every grant still live ends (grants do not outlive the process). */
  endAll(): number {
    return this.db
      .prepare(
        "UPDATE approval_grants SET ended_at = ?, end_reason = 'restarted' WHERE ended_at IS NULL AND expires_at > ?",
      )
      .run(this.now(), this.now()).changes;
  }

  private byId(id: number): Grant | undefined {
    const row = this.db.prepare("SELECT * FROM approval_grants WHERE id = ?").get(id) as Row | undefined;
    return row ? grantOf(row) : undefined;
  }
}

function grantOf(row: Row): Grant {
  const parsed = JSON.parse(row.scope_key) as [string, number, string, CallClass, string | null];
  return {
    id: row.id,
    scope: {
      device: row.device,
      deviceSince: parsed[1],
      tool: row.tool,
      callClass: row.call_class,
      program: row.program,
    },
    roomId: row.room_id,
    grantedBy: row.granted_by,
    grantedAt: row.granted_at,
    expiresAt: row.expires_at,
    uses: row.uses,
  };
}
