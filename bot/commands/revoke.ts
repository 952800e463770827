import { UserError } from "../../common/errors";
import type { StepResult } from "../../provisioning/engine";
import type { Revoker } from "../../provisioning/revoke";
import type { Device } from "../../state/devices";
import type { ConfirmCodes, ConfirmOutcome } from "../confirm-codes";
import { plain } from "../reply";
import type { Command } from "./types";

export interface RevokeDeps {
  revoker: Revoker;
  codes: ConfirmCodes;
  codeTtlS: number;
  /** After a revoke: the health monitor marks it ⚫ and forgets its history. */
  onRevoked(name: string): void;
  /** After --forget: the device's health row goes too. */
  onForgotten(name: string): void;
}

/**
 * `!revoke <name>` gives a one-time code; `!revoke <name> --confirm CODE`, typed by the same
 * operator, does it. Again on a revoked device it retries what was left on the device;
 * with --forget it drops the record, accepting what was left.
 */
export function revokeCommand(deps: RevokeDeps): Command {
  return {
    name: "revoke",
    summary: "remove a device: hub peer, agent, its files and tunnel, its room (asks for a code first)",
    usage: "!revoke <device> [--forget] [--confirm CODE]",
    args: {
      positionals: [{ name: "device", required: true }],
      flags: { confirm: { takesValue: true }, forget: { takesValue: false } },
    },
    async run(ctx, args) {
      const name = args.positionals.device!;
      const code = args.flags.confirm;
      const forget = args.flags.forget === true;
      const device = deps.revoker.check(name);
      const leftovers = device.status === "revoked" ? deps.revoker.leftovers(name) : [];
      if (device.status === "revoked" && leftovers.length === 0 && !forget) {
        await ctx.reply(plain(`${name} is already revoked — nothing to do.`));
        return;
      }
      if (forget && device.status !== "revoked")
        throw new UserError(
          `${name} is ${device.status} — revoke it first (!revoke ${name}), then --forget it`,
        );
      const action = forget ? "forget" : "revoke";
      if (code === undefined) {
        const issued = deps.codes.issue(`${action}:${name}`, ctx.sender);
        const minutes = Math.round(deps.codeTtlS / 60) || 1;
        const confirm = `!revoke ${name}${forget ? " --forget" : ""} --confirm ${issued}`;
        await ctx.tell(
          plain(
            `${intent(device, leftovers, forget)} To go ahead, type: ${confirm} (within ${minutes} min; only you can confirm).`,
          ),
        );
        return;
      }
      // A recogniser that "heard" a code proves nothing about who read it.
      if (ctx.viaVoice)
        throw new UserError(
          `a confirmation code must be typed, not spoken — type !revoke ${name} --confirm CODE`,
        );
      const outcome = deps.codes.confirm(
        `${action}:${name}`,
        ctx.sender,
        typeof code === "string" ? code : "",
      );
      if (!outcome.ok) throw new UserError(refusal(name, outcome.why, forget));
      if (forget) {
        const dropped = deps.revoker.forget(name);
        deps.onForgotten(name);
        await ctx.tell(
          plain(
            `✓ ${name} forgotten: ${dropped.join(", ")}. Anything an earlier revoke left on the machine stays there.`,
          ),
        );
        return;
      }
      const result = await deps.revoker.revoke(name, ctx.sender);
      if (result.kind === "already_revoked") {
        await ctx.reply(plain(`${name} is already revoked — nothing to do.`));
        return;
      }
      deps.onRevoked(name);
      const done = result.done.length ? result.done.join(", ") : "nothing else to remove";
      const next = selfEnrolled(device)
        ? `Once it is removed there, !revoke ${name} --forget drops the record.`
        : `Run !revoke ${name} again when it is reachable to clean that up, or !revoke ${name} --forget to drop the record and clean it by hand.`;
      const text = result.left.length
        ? `⚠ ${name} revoked on the hub and the bot (${done}), but this is left:\n${result.left.map((l) => `- ${l}`).join("\n")}\n${next}`
        : `✓ ${name} revoked: ${done}.`;
      await ctx.tell(plain(text));
    },
  };
}

/** What the confirmed command will do, before the code is asked for. */
/** A WireGuard device with no SSH address enrolled itself (pull, bundle): the hub cannot reach it. */
function selfEnrolled(device: Device): boolean {
  return device.backend === "wg" && device.ssh_host === null;
}

function intent(device: Device, leftovers: StepResult[], forget: boolean): string {
  const name = device.name;
  if (forget)
    return `Forgetting ${name} removes its record, its host key pin and its secret from the bot; whatever a revoke left on the machine stays there.`;
  if (leftovers.length > 0)
    return `${name} is revoked, but an earlier revoke left this: ${leftovers.map((l) => l.step).join(", ")}. Revoking again retries only that.`;
  const what =
    device.backend === "ssh"
      ? "its SSH connection (nothing is installed on the host)"
      : selfEnrolled(device)
        ? `its hub peer (the PC is cut off at once) and mesh IP ${device.mesh_ip ?? "?"}; the hub cannot reach the PC, so you will be given the command that removes the agent and tunnel there`
        : `its hub peer, its agent (service and files) and WireGuard config on the device, mesh IP ${device.mesh_ip ?? "?"}`;
  return `Revoking ${name} removes ${what} and closes its room.`;
}

function refusal(name: string, why: Exclude<ConfirmOutcome, { ok: true }>["why"], forget: boolean): string {
  const again = `!revoke ${name}${forget ? " --forget" : ""}`;
  switch (why) {
    case "none":
      return `there is no pending ${forget ? "forget" : "revoke"} of ${name} — send ${again} first to get a code`;
    case "expired":
      return `that code has expired — send ${again} for a new one`;
    case "other_operator":
      return `only the operator who asked for the code can confirm revoking ${name}`;
    case "wrong":
      return `that is not the code for revoking ${name} — check it and type it again`;
    case "too_many_wrong":
      return `wrong code three times, so it is cancelled — send ${again} for a new one`;
  }
}
