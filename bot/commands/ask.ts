import type { DeviceAnswer, FanoutCall } from "../../agents/fanout";
import { fanOut } from "../../agents/fanout";
import type { OneShotRequest } from "../../agents/one-shot";
import { UserError } from "../../common/errors";
import type { HealthRecord } from "../../health/store";
import type { Device } from "../../state/devices";
import { mergedAnswer } from "../ask-table";
import { plain } from "../reply";
import type { Command, CommandContext, ParsedArgs } from "./types";

/** The agents, as a fan-out sees them (AgentHost). */
export interface FanoutAgents {
  askOnce(device: Device, request: OneShotRequest): Promise<DeviceAnswer>;
}

export interface AskDeps {
  devices(): Device[];
  health(): Map<string, HealthRecord>;
  /** Undefined until the agents are built (they come after the command table at start-up). */
  agents(): FanoutAgents | undefined;
  limits: { concurrency: number; timeoutMs: number };
  now?: () => number;
}

/** Health verdicts under which a device's agent cannot answer: asking would only wait for the timeout. */
const DOWN_STATUSES: ReadonlySet<string> = new Set(["unreachable", "stale", "revoked"]);
const QUESTION_MAX = 4000;

/**
 * `!ask all|<name,name,…>|tag:<tag> <question>`: one question to many devices' agents with
 * read-class calls only (a call that needs approval is skipped and listed), one merged answer
 * here as an m.text (it pushes), the full answers in each device's room. A fan-out that
 * would ask a device another one is still asking is refused with a sentence.
 */
export function askCommand(deps: AskDeps): Command {
  const busy = new Set<string>();
  return {
    name: "ask",
    summary: "ask every device's agent (or some) one question, read-only; one merged answer here",
    usage: "!ask all|<name,name,…>|tag:<tag> <question>",
    args: {
      positionals: [
        { name: "devices", required: true },
        { name: "question", required: true, rest: true },
      ],
      flags: {},
    },
    run: (ctx, args) => ask(deps, busy, ctx, args),
  };
}

async function ask(deps: AskDeps, busy: Set<string>, ctx: CommandContext, args: ParsedArgs): Promise<void> {
  const now = deps.now ?? Date.now;
  const which = args.positionals.devices ?? "";
  const question = (args.positionals.question ?? "").trim();
  if (question.length > QUESTION_MAX)
    throw new UserError(`the question is ${question.length} characters; !ask takes at most ${QUESTION_MAX}`);
  const devices = chooseDevices(deps.devices(), which);
  const agents = deps.agents();
  if (!agents) throw new UserError("the agents are still starting — ask again in a moment");
  const overlap = devices.filter((d) => busy.has(d.name)).map((d) => d.name);
  if (overlap.length > 0)
    throw new UserError(
      `a fan-out is still asking ${overlap.join(", ")} — its answer comes when it ends; ask again then`,
    );
  const health = deps.health();
  const label = `!ask ${which}`;
  for (const device of devices) busy.add(device.name);
  try {
    await ctx.reply(
      plain(
        `📣 asking ${devices.length} device${devices.length === 1 ? "" : "s"} (read-only; anything that needs approval is skipped)…`,
      ),
    );
    const started = now();
    const targets = devices.map((device) => {
      const down = downReason(device, health.get(device.name));
      return { name: device.name, device, ...(down ? { down } : {}) };
    });
    const rows = await fanOut(
      targets,
      (target, call: FanoutCall) =>
        agents.askOnce(target.device, { question, caller: ctx.sender, label, call }),
      { ...deps.limits, now },
    );
    await ctx.tell(mergedAnswer(label, question, rows, now() - started));
  } finally {
    for (const device of devices) busy.delete(device.name);
  }
}

/** `all`, a comma list of names, or `tag:x`; a name that is not a device changes nothing. */
export function chooseDevices(all: readonly Device[], which: string): Device[] {
  const known = all.filter((d) => d.status !== "revoked");
  if (which.startsWith("tag:"))
    throw new UserError(
      `devices have no tags yet, so ${which} matches none — name them instead: !ask <name,name,…> <question>`,
    );
  if (which === "all") {
    if (known.length === 0) throw new UserError("there are no devices yet — !add-pc adds one");
    return known;
  }
  const names = [
    ...new Set(
      which
        .split(",")
        .map((n) => n.trim())
        .filter(Boolean),
    ),
  ];
  const unknown = names.filter((n) => !known.some((d) => d.name === n));
  if (names.length === 0 || unknown.length > 0)
    throw new UserError(
      `${unknown.length > 0 ? `there is no device ${unknown.join(", ")}` : "no device named"} — !devices lists them; use all or name,name`,
    );
  return names.map((n) => known.find((d) => d.name === n)!);
}

function downReason(device: Device, health: HealthRecord | undefined): string | undefined {
  if (device.status !== "live") return device.status === "provisioning" ? "being added" : device.status;
  if (!device.room_id) return "no device room";
  if (health && DOWN_STATUSES.has(health.status)) return health.status;
  return undefined;
}
