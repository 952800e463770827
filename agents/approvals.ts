import type { Logger } from "../common/log";
import type { Db } from "../state/db";
import { answerFromReaction, answerFromReply, type Answer } from "./approval-keys";

export type ApprovalDecision =
  | { outcome: "allowed"; by: string }
  | { outcome: "refused"; by: string }
  | { outcome: "timed_out"; afterS: number }
  /** Never asked (a fan-out asks no one): the call is not run, and `reason` tells the model why. */
  | { outcome: "skipped"; reason: string };

interface Pending {
  roomId: string;
  settle: (answer: Answer, by: string) => void;
}

export interface LeftoverApproval {
  roomId: string;
  device: string;
  call: string;
}

/**
 * Approval requests waiting for an operator. Each is a row (so a restart can find and
 * decline what it interrupted) and a promise the agent's turn awaits. Only an operator
 * decides; anyone else's reaction or reply is ignored. The timeout declines.
 */
export class ApprovalBroker {
  private readonly pending = new Map<string, Pending>();

  constructor(
    private readonly db: Db,
    private readonly options: { operators: ReadonlySet<string>; timeoutMs: number; log: Logger },
  ) {}

  /**
   * Posts the request (through `post`, which returns its event id) and waits for the answer.
   */
  async request(
    roomId: string,
    device: string,
    call: string,
    post: () => Promise<string>,
  ): Promise<ApprovalDecision> {
    const eventId = await post();
    this.db
      .prepare(
        "INSERT INTO agent_approvals (event_id, room_id, device, call, state, created_at) VALUES (?, ?, ?, ?, 'pending', ?)",
      )
      .run(eventId, roomId, device, call, Date.now());
    return new Promise((resolve) => {
      const finish = (decision: ApprovalDecision, state: string, by: string | null): void => {
        clearTimeout(timer);
        this.pending.delete(eventId);
        this.db
          .prepare("UPDATE agent_approvals SET state = ?, decided_by = ?, decided_at = ? WHERE event_id = ?")
          .run(state, by, Date.now(), eventId);
        this.options.log.info({ device, eventId, state, by }, "approval decided");
        resolve(decision);
      };
      const timer = setTimeout(
        () => finish({ outcome: "timed_out", afterS: this.options.timeoutMs / 1000 }, "timed_out", null),
        this.options.timeoutMs,
      );
      // A pending request must not keep a stopping process alive; its row stays pending,
      // and the next start declines it and tells the room.
      timer.unref();
      this.pending.set(eventId, {
        roomId,
        settle: (answer, by) =>
          answer === "allow"
            ? finish({ outcome: "allowed", by }, "allowed", by)
            : finish({ outcome: "refused", by }, "refused", by),
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
    pending.settle(answer, sender);
    return true;
  }

  /** A typed "yes"/"no" from an operator answers the newest pending request in the room. */
  onReply(roomId: string, sender: string, body: string): boolean {
    if (!this.options.operators.has(sender)) return false;
    const answer = answerFromReply(body);
    if (!answer) return false;
    const newest = [...this.pending.values()].reverse().find((p) => p.roomId === roomId);
    if (!newest) return false;
    newest.settle(answer, sender);
    return true;
  }

  hasPending(roomId: string): boolean {
    return [...this.pending.values()].some((p) => p.roomId === roomId);
  }

  /**
   * At start-up: requests a previous process left pending are declined (their turn died
   * with that process, so nothing could run them) and returned so the rooms can be told.
   */
  declineLeftovers(): LeftoverApproval[] {
    const rows = this.db
      .prepare(
        "SELECT room_id, device, call FROM agent_approvals WHERE state = 'pending' ORDER BY created_at",
      )
      .all() as Array<{ room_id: string; device: string; call: string }>;
    this.db
      .prepare("UPDATE agent_approvals SET state = 'restarted', decided_at = ? WHERE state = 'pending'")
      .run(Date.now());
    return rows.map((r) => ({ roomId: r.room_id, device: r.device, call: r.call }));
  }
}
