import { normaliseKey } from "../agents/approval-keys";
import { UserError } from "../common/errors";
import type { Logger } from "../common/log";
import { formatClock } from "../health/age";
import type { AlertRoom } from "../health/incident-gate";
import type { PeerApproval } from "../provisioning/pull/run";

const YES = new Set(["👍", "✅"]);
const NO = new Set(["👎", "❌"]);

interface Pending {
  device: string;
  resolve: (answer: { approved: boolean; by: string }) => void;
}

/**
 * enroll.approve_first: a new peer waits for an operator's 👍 on a card pushed to the
 * control room (👎 refuses). Only operators count; anyone else's reaction is logged.
 */
export class PeerApprovals {
  private readonly pending = new Map<string, Pending>();

  constructor(private readonly deps: { room: AlertRoom; operators: ReadonlySet<string>; log: Logger }) {}

  async ask(request: PeerApproval): Promise<{ approved: boolean; by: string }> {
    const ref = await this.deps.room.push(
      `🆕 a PC wants to join the mesh as ${request.what}. React 👍 to enable its peer, 👎 to refuse (until ${formatClock(request.deadline)}).`,
    );
    if (!ref)
      throw new UserError(
        "the control room is not ready, so no operator can approve the new peer — try again",
      );
    const key = `${ref.roomId} ${ref.eventId}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => {
          this.pending.delete(key);
          reject(
            new UserError(
              `no operator approved ${request.device} before its link expired — ask for a new one`,
            ),
          );
        },
        Math.max(0, request.deadline - Date.now()),
      );
      this.pending.set(key, {
        device: request.device,
        resolve: (answer) => {
          clearTimeout(timer);
          this.pending.delete(key);
          resolve(answer);
        },
      });
    });
  }

  /** True when the reaction was on an approval card (acted on or ignored). */
  onReaction(roomId: string, sender: string, eventId: string, rawKey: string): boolean {
    const pending = this.pending.get(`${roomId} ${eventId}`);
    if (!pending) return false;
    const key = normaliseKey(rawKey);
    if (!YES.has(key) && !NO.has(key)) return true;
    if (!this.deps.operators.has(sender)) {
      this.deps.log.info(
        { sender, device: pending.device },
        "ignored a reaction on a peer approval from someone who is not an operator",
      );
      return true;
    }
    this.deps.log.info(
      { by: sender, device: pending.device, approved: YES.has(key) },
      "peer approval answered",
    );
    pending.resolve({ approved: YES.has(key), by: sender });
    return true;
  }
}
