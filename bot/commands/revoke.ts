import { UserError } from "../../common/errors";
import type { Revoker } from "../../provisioning/revoke";
import type { ConfirmCodes, ConfirmOutcome } from "../confirm-codes";
import { plain } from "../reply";
import type { Command } from "./types";

export interface RevokeDeps {
  revoker: Revoker;
  codes: ConfirmCodes;
  codeTtlS: number;
  /** After a revoke: the health monitor marks it ⚫ and forgets its history. */
  onRevoked(name: string): void;
}

/** `!revoke <name>` gives a one-time code; `!revoke <name> --confirm CODE`, typed by the same operator, does it. */
export function revokeCommand(deps: RevokeDeps): Command {
  return {
    name: "revoke",
    summary: "remove a device: hub peer, agent, its files and tunnel, its room (asks for a code first)",
    usage: "!revoke <device> [--confirm CODE]",
    args: {
      positionals: [{ name: "device", required: true }],
      flags: { confirm: { takesValue: true } },
    },
    async run(ctx, args) {
      const name = args.positionals.device!;
      const code = args.flags.confirm;
      const device = deps.revoker.check(name);
      if (device.status === "revoked") {
        await ctx.reply(plain(`${name} is already revoked — nothing to do.`));
        return;
      }
      if (code === undefined) {
        const issued = deps.codes.issue(name, ctx.sender);
        const what =
          device.backend === "wg"
            ? `its hub peer, its agent (service and files) and WireGuard config on the device, mesh IP ${device.mesh_ip ?? "?"}`
            : "its SSH connection (nothing is installed on the host)";
        await ctx.tell(
          plain(
            `Revoking ${name} removes ${what} and closes its room. To go ahead, type: !revoke ${name} --confirm ${issued} (within ${Math.round(deps.codeTtlS / 60) || 1} min; only you can confirm).`,
          ),
        );
        return;
      }
      // A recogniser that "heard" a code proves nothing about who read it.
      if (ctx.viaVoice)
        throw new UserError(
          `a confirmation code must be typed, not spoken — type !revoke ${name} --confirm CODE`,
        );
      const outcome = deps.codes.confirm(name, ctx.sender, typeof code === "string" ? code : "");
      if (!outcome.ok) throw new UserError(refusal(name, outcome.why));
      const result = await deps.revoker.revoke(name, ctx.sender);
      if (result.kind === "already_revoked") {
        await ctx.reply(plain(`${name} is already revoked — nothing to do.`));
        return;
      }
      deps.onRevoked(name);
      const done = result.done.length ? result.done.join(", ") : "nothing else to remove";
      const text = result.left.length
        ? `⚠ ${name} revoked on the bot's side (${done}), but this could not be done:\n${result.left.map((l) => `- ${l}`).join("\n")}\nClean that up by hand.`
        : `✓ ${name} revoked: ${done}.`;
      await ctx.tell(plain(text));
    },
  };
}

function refusal(name: string, why: Exclude<ConfirmOutcome, { ok: true }>["why"]): string {
  switch (why) {
    case "none":
      return `there is no pending revoke of ${name} — send !revoke ${name} first to get a code`;
    case "expired":
      return `that code has expired — send !revoke ${name} for a new one`;
    case "other_operator":
      return `only the operator who asked for the code can confirm revoking ${name}`;
    case "wrong":
      return `that is not the code for revoking ${name} — check it and type it again`;
    case "too_many_wrong":
      return `wrong code three times, so it is cancelled — send !revoke ${name} for a new one`;
  }
}
