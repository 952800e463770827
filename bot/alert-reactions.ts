import { normaliseKey } from "../agents/approval-keys";
import { describeFailure, isUserError, UserError } from "../common/errors";
import type { Logger } from "../common/log";
import { formatAge, formatClock } from "../health/age";
import type { AlertRef, AlertRoom } from "../health/incident-gate";
import type { Incident } from "../health/incidents";
import type { AddRequest, PreparedAdd } from "../provisioning/service";
import { formatSshTarget } from "../ssh/target";
import { sshTargetOf, type Device } from "../state/devices";
import type { MatrixPort } from "./port";
import { editContent, mentionContent, noticeContent, plain } from "./reply";
import { failureSentence } from "./run-render";

/**
 * The control room as the health monitor's AlertRoom: pushes are m.text mentioning the
 * operators (a resolved line replies to its alert); edits keep msgtype, format and
 * formatted_body in m.new_content and mention no one anew (MSC3952), so they never push.
 */
export function matrixAlertRoom(deps: {
  matrix: MatrixPort;
  roomId(): string | undefined;
  operators: readonly string[];
}): AlertRoom {
  return {
    push: async (text, replyTo) => {
      const roomId = deps.roomId();
      if (!roomId) return undefined;
      const content = mentionContent(deps.operators, plain(text));
      if (replyTo?.roomId === roomId)
        content["m.relates_to"] = { "m.in_reply_to": { event_id: replyTo.eventId } };
      return { roomId, eventId: await deps.matrix.send(roomId, content) };
    },
    edit: async (alert, text) => {
      const content = editContent(alert.eventId, mentionContent(deps.operators, plain(text)));
      await deps.matrix.send(alert.roomId, { ...content, "m.mentions": { user_ids: [] } });
    },
    notice: async (text) => {
      const roomId = deps.roomId();
      if (roomId) await deps.matrix.send(roomId, noticeContent(plain(text)));
    },
  };
}

const REPAIR = "🔁";
const SILENCE = "🔕";

export interface AlertReactionDeps {
  operators: ReadonlySet<string>;
  incidents: {
    byAlert(roomId: string, eventId: string): Incident | undefined;
    silence(device: string, until: number, by: string, now: number): void;
  };
  /** The repair `!add-pc <name>` again runs; resolves to the sentence for operators. */
  repair(device: string): Promise<string>;
  room: AlertRoom;
  silenceMs: number;
  log: Logger;
  now?: () => number;
}

/**
 * Reactions on an incident's alert act, from operators only: 🔁 runs the repair, 🔕
 * silences the device for silenceMs (said in a notice). Anyone else's reaction is logged.
 */
export class AlertReactions {
  private readonly repairing = new Set<string>();

  constructor(private readonly deps: AlertReactionDeps) {}

  /** True when the reaction was on an alert (acted on or refused). */
  async onReaction(roomId: string, sender: string, eventId: string, key: string): Promise<boolean> {
    const incident = this.deps.incidents.byAlert(roomId, eventId);
    if (!incident) return false;
    const action = normaliseKey(key);
    if (action !== REPAIR && action !== SILENCE) return true;
    if (!this.deps.operators.has(sender)) {
      this.deps.log.info(
        { sender, device: incident.device, incident: incident.id, key: action },
        "ignored a reaction on an alert from someone who is not an operator",
      );
      return true;
    }
    const alert = { roomId, eventId };
    if (action === SILENCE) await this.silence(incident, sender);
    else await this.repair(incident, sender, alert);
    return true;
  }

  private async silence(incident: Incident, sender: string): Promise<void> {
    const now = (this.deps.now ?? Date.now)();
    const until = now + this.deps.silenceMs;
    this.deps.incidents.silence(incident.device, until, sender, now);
    this.deps.log.info({ device: incident.device, until, by: sender }, "device silenced");
    await this.deps.room.notice(
      `🔕 ${incident.device} silenced until ${formatClock(until)} (${formatAge(this.deps.silenceMs)}, by ${sender}): its new incidents are recorded, not pushed; one already pushed still gets its [RESOLVED]`,
    );
  }

  private async repair(incident: Incident, sender: string, alert: AlertRef): Promise<void> {
    const name = incident.device;
    if (this.repairing.has(name)) {
      await this.deps.room.notice(`🔁 ${name} is being repaired already`);
      return;
    }
    this.repairing.add(name);
    try {
      await this.deps.room.notice(`🔁 repairing ${name} for ${sender} (what !add-pc ${name} again does)…`);
      let outcome: string;
      try {
        outcome = await this.deps.repair(name);
      } catch (error) {
        if (isUserError(error)) {
          await this.deps.room.notice(`🔁 ${name}: ${error.message}`);
          return;
        }
        outcome = `🔁 ${name}: ${describeFailure(this.deps.log, `repair ${name}`, error)}`;
      }
      // The outcome of a job operators asked for pushes, like the job's own command would.
      await this.deps.room.push(outcome, alert);
    } finally {
      this.repairing.delete(name);
    }
  }
}

export interface RepairDeps {
  device(name: string): Device | undefined;
  /** The key file the device was added with (its last completed run), if one was named. */
  keyFile(name: string): string | undefined;
  /** ProvisioningService.prepare: the idempotent add that checks a live device and repairs what is missing. */
  prepare(request: AddRequest): PreparedAdd;
}

/** 🔁: the same pipeline entry point as `!add-pc <name>` again, with the device's own backend and host. */
export async function repairDevice(deps: RepairDeps, name: string): Promise<string> {
  const device = deps.device(name);
  if (!device || device.status !== "live")
    throw new UserError(`${name} is ${device ? device.status : "gone"} — nothing to repair`);
  const keyFile = deps.keyFile(name);
  const ssh = formatSshTarget(sshTargetOf(device));
  const prepared = deps.prepare({ name, via: device.backend, ssh, ...(keyFile ? { keyFile } : {}) });
  const result = await prepared.execute(() => undefined);
  switch (result.kind) {
    case "already_live":
      return `🔁 ${name}: every check passed — nothing needed repair`;
    case "repaired": {
      const lines = [
        ...result.report.repaired.map((r) => `${r.step}: ${r.problem}${r.action ? ` → ${r.action}` : ""}`),
        ...result.report.failed.map((f) => `${f.step}: ${f.problem} (repair failed: ${f.reason})`),
      ];
      const how = result.report.failed.length > 0 ? "repair incomplete" : "repaired";
      return [`🔁 ${name} ${how}:`, ...lines].join("\n");
    }
    case "added":
      return `🔁 ${name} added again`;
    case "failed":
      return `🔁 ${name}: ${failureSentence(result.outcome, result.total)}`;
  }
}
