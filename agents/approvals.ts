import type { Logger } from "../common/log";
import { inTransaction, type Db } from "../state/db";
import { GrantStore, type Grant } from "./approval-grants";
import { answerFromReaction, answerFromReply, type Answer } from "./approval-keys";
import type { ApprovalScope } from "./approval-scope";

export type ApprovalDecision =
  /**
   * `by` is who allowed it, as the device's audit records it: "@op:x" for once,
   * "@op:x (session grant #3)" for a call run under a grant; `grant` is set when this very
   * answer was 🔁 and made that grant.
   */
  | { outcome: "allowed"; by: string; grant?: Grant }
  | { outcome: "refused"; by: string }
  | { outcome: "timed_out"; afterS: number }
  /** Never asked (a fan-out asks no one): the call is not run, and `reason` tells the model why. */
  | { outcome: "skipped"; reason: string };

interface Pending {
  roomId: string;
  /** False when the answer does not apply (🔁 on a request that offers no session). */
  settle: (answer: Answer, by: string) => boolean;
}

export interface LeftoverApproval {
  roomId: string;
  device: string;
  call: string;
}

export interface BrokerOptions {
  operators: ReadonlySet<string>;
  timeoutMs: number;
  /** How long a 🔁 grant lasts (llm.approval_session_s); without it no session is offered. */
  sessionMs?: number;
  log: Logger;
  now?: () => number;
}

/**
 * Approval requests waiting for an operator. Each is a row (so a restart can find and
 * decline what it interrupted) and a promise the agent's turn awaits. Only an operator
 * decides; anyone else's reaction or reply is ignored. The timeout declines. Each decision
 * row says its scope: 'once' (✅/👍, and every refusal), 'session' (🔁, which made a grant
 * for the request's scope) or 'grant' (no card: a live grant covered the call).
 */
export class ApprovalBroker {
  private readonly pending = new Map<string, Pending>();
  readonly grants: GrantStore;

  constructor(
    private readonly db: Db,
    private readonly options: BrokerOptions,
  ) {
    this.grants = new GrantStore(db, options.now);
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  /** How long a 🔁 grant lasts, in seconds; undefined when sessions are off. */
  get sessionS(): number | undefined {
    return this.options.sessionMs === undefined ? undefined : this.options.sessionMs / 1000;
  }

  /**
   * A live grant for exactly this scope, used for one call: the use is counted and written
   * as a decision row (scope 'grant', by the operator who made the grant) before the call
   * runs. Undefined when no grant covers it.
   */
  useGrant(roomId: string, call: string, scope: ApprovalScope): Grant | undefined {
    return inTransaction(this.db, () => {
      const grant = this.grants.covering(scope);
      if (!grant) return undefined;
      this.grants.used(grant.id);
      const at = this.now();
      this.db
        .prepare(
          `INSERT INTO agent_approvals (event_id, room_id, device, call, state, decided_by, created_at, decided_at, scope, grant_id)
           VALUES (?, ?, ?, ?, 'allowed', ?, ?, ?, 'grant', ?)`,
        )
        .run(
          `grant:${grant.id}:${grant.uses + 1}`,
          roomId,
          scope.device,
          call,
          grant.grantedBy,
          at,
          at,
          grant.id,
        );
      return { ...grant, uses: grant.uses + 1 };
    });
  }

  /**
   * Posts the request (through `post`, which returns its event id) and waits for the answer.
   * With a `scope` (and sessions on), 🔁 allows this call and makes a grant for that scope.
   */
  async request(
    roomId: string,
    device: string,
    call: string,
    post: () => Promise<string>,
    scope?: ApprovalScope,
  ): Promise<ApprovalDecision> {
    const eventId = await post();
    this.db
      .prepare(
        "INSERT INTO agent_approvals (event_id, room_id, device, call, state, created_at) VALUES (?, ?, ?, ?, 'pending', ?)",
      )
      .run(eventId, roomId, device, call, this.now());
    return new Promise((resolve) => {
      const finish = (
        decision: ApprovalDecision,
        state: string,
        by: string | null,
        scopeColumn: "once" | "session" | null,
      ): void => {
        clearTimeout(timer);
        this.pending.delete(eventId);
        const grantId = decision.outcome === "allowed" ? (decision.grant?.id ?? null) : null;
        this.db
          .prepare(
            "UPDATE agent_approvals SET state = ?, decided_by = ?, decided_at = ?, scope = ?, grant_id = ? WHERE event_id = ?",
          )
          .run(state, by, this.now(), scopeColumn, grantId, eventId);
        this.options.log.info(
          { device, eventId, state, by, scope: scopeColumn, grantId },
          "approval decided",
        );
        resolve(decision);
      };
      const sessionMs = this.options.sessionMs;
      const timer = setTimeout(
        () =>
          finish({ outcome: "timed_out", afterS: this.options.timeoutMs / 1000 }, "timed_out", null, null),
        this.options.timeoutMs,
      );
      // A pending request must not keep a stopping process alive; its row stays pending,
      // and the next start declines it and tells the room.
      timer.unref();
      this.pending.set(eventId, {
        roomId,
        settle: (answer, by) => {
          if (answer === "allow") finish({ outcome: "allowed", by }, "allowed", by, "once");
          else if (answer === "refuse") finish({ outcome: "refused", by }, "refused", by, "once");
          else if (!scope || sessionMs === undefined) return false;
          else {
            const grant = this.grants.create(scope, by, roomId, eventId, sessionMs);
            finish({ outcome: "allowed", by: grantedBy(grant), grant }, "allowed", by, "session");
          }
          return true;
        },
      });
    });
  }

  /** A reaction; true when it answered a pending request. */
  onReaction(roomId: string, sender: string, targetEventId: string, key: string): boolean {
    const pending = this.pending.get(targetEventId);
    if (!pending || pending.roomId !== roomId) return false;
    const answer = answerFromReaction(key);
    if (!answer) return false;
    if (!this.options.operators.has(sender)) {
      this.options.log.info(
        { sender, roomId },
        "ignored an approval reaction from someone who is not an operator",
      );
      return false;
    }
    const settled = pending.settle(answer, sender);
    if (!settled)
      this.options.log.info({ roomId, targetEventId }, "ignored 🔁 on a request that offers no session");
    return settled;
  }

  /** A typed "yes"/"no" from an operator answers the newest pending request in the room. */
  onReply(roomId: string, sender: string, body: string): boolean {
    if (!this.options.operators.has(sender)) return false;
    const answer = answerFromReply(body);
    if (!answer) return false;
    const newest = [...this.pending.values()].reverse().find((p) => p.roomId === roomId);
    if (!newest) return false;
    return newest.settle(answer, sender);
  }

  hasPending(roomId: string): boolean {
    return [...this.pending.values()].some((p) => p.roomId === roomId);
  }

  /**
   * At start-up: requests a previous process left pending are declined (their turn died
   * with that process, so nothing could run them) and returned so the rooms can be told;
   * session grants it left live end (grants do not outlive the process that made them).
   */
  declineLeftovers(): LeftoverApproval[] {
    const ended = this.grants.endAll();
    if (ended > 0) this.options.log.info({ grants: ended }, "session grants ended by the restart");
    const rows = this.db
      .prepare(
        "SELECT room_id, device, call FROM agent_approvals WHERE state = 'pending' ORDER BY created_at",
      )
      .all() as Array<{ room_id: string; device: string; call: string }>;
    this.db
      .prepare("UPDATE agent_approvals SET state = 'restarted', decided_at = ? WHERE state = 'pending'")
      .run(this.now());
    return rows.map((r) => ({ roomId: r.room_id, device: r.device, call: r.call }));
  }
}

/** Who allowed a call run under a grant, as the device's audit records it. */
export function grantedBy(grant: Pick<Grant, "grantedBy" | "id">): string {
  return `${grant.grantedBy} (session grant #${grant.id})`;
}
