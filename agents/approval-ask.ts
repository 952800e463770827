import type { ApprovalNeed } from "../capabilities/types";
import type { Device } from "../state/devices";
import type { ApprovalBroker, ApprovalDecision } from "./approvals";
import { grantedBy } from "./approvals";
import type { Grant } from "./approval-grants";
import { clockText, durationText, scopeOf, scopeText } from "./approval-scope";
import { approvalCard, type CardMessage } from "./card";
import { describeCall } from "./describe";
import { approvalRule } from "./device-policy";

/** What asking needs from the agent's room. */
export interface ApprovalRoom {
  notice(text: string): Promise<string>;
  ask(message: CardMessage): Promise<string>;
}

export interface CallToApprove {
  tool: string;
  input: Record<string, unknown>;
  need: ApprovalNeed;
}

/**
 * One call that needs an operator: run at once under a live 🔁 grant for its exact scope
 * (the room reads one notice saying whose grant and until when), or ask with a card that
 * says what 🔁 would allow, then tell the room the answer. `beforeCard` runs only when a
 * card is posted (the typing indicator stops while the room waits for a person).
 */
export async function askOperators(
  approvals: ApprovalBroker,
  device: Device,
  roomId: string,
  room: ApprovalRoom,
  { tool, input, need }: CallToApprove,
  beforeCard: () => Promise<void>,
): Promise<ApprovalDecision> {
  const call = describeCall(tool, input);
  const sessionS = approvals.sessionS;
  const scope = sessionS === undefined ? undefined : scopeOf(device, tool, input, need);
  if (scope) {
    const grant = approvals.useGrant(roomId, call, scope);
    if (grant) {
      await room.notice(`✅ allowed by ${grantNotice(grant)} — running \`${call}\``);
      return { outcome: "allowed", by: grantedBy(grant) };
    }
  }
  const card = approvalCard({
    agent: `agent-${device.name}`,
    device: device.name,
    tool,
    input,
    need,
    rule: approvalRule(device, tool, need),
    ...(scope && sessionS !== undefined
      ? { session: { scope: scopeText(scope), duration: durationText(sessionS) } }
      : {}),
  });
  await beforeCard();
  const decision = await approvals.request(roomId, device.name, call, () => room.ask(card), scope);
  if (decision.outcome === "allowed" && decision.grant)
    await room.notice(
      `🔁 ${decision.grant.grantedBy} allowed all ${scopeText(decision.grant.scope)} until ${clockText(decision.grant.expiresAt)} (session grant #${decision.grant.id}; !approvals revoke ${decision.grant.id} ends it) — running \`${call}\``,
    );
  else if (decision.outcome === "allowed")
    await room.notice(`✅ approved by ${decision.by} — running \`${call}\``);
  else if (decision.outcome === "refused")
    await room.notice(`❌ refused by ${decision.by} — \`${call}\` was not run`);
  else if (decision.outcome === "timed_out")
    await room.notice(`⏱ no answer within ${decision.afterS} s — \`${call}\` was declined and not run`);
  return decision;
}

/** "@op's 15 min session grant #3 for fs.write calls on pc1 (until 14:05 UTC)". */
export function grantNotice(grant: Grant): string {
  const minutes = durationText(Math.round((grant.expiresAt - grant.grantedAt) / 1000));
  return `${grant.grantedBy}'s ${minutes} session grant #${grant.id} for ${scopeText(grant.scope)} (until ${clockText(grant.expiresAt)})`;
}
