import { UserError } from "../../common/errors";
import type { PullService } from "../../provisioning/pull/service";
import { plain } from "../reply";
import type { Command } from "./types";

export interface EnrollDeps {
  pull: PullService;
}

/** `!enroll` lists the pending one-time links; `!enroll cancel <name>` kills a name's link (never an enrolled device). */
export function enrollCommand(deps: EnrollDeps): Command {
  return {
    name: "enroll",
    summary: "pending one-time enrollment links (--via pull); cancel <name> revokes one",
    usage: "!enroll [cancel <name>]",
    args: {
      positionals: [
        { name: "action", required: false },
        { name: "name", required: false },
      ],
      flags: {},
    },
    async run(ctx, args) {
      const action = args.positionals.action;
      if (action === undefined) {
        const pending = deps.pull.pending();
        if (pending.length === 0) {
          await ctx.reply(plain("No pending enrollment links."));
          return;
        }
        const now = Date.now();
        const lines = pending.map(
          (e) =>
            `${e.name} — ${e.os}/${e.arch}, by ${e.created_by}, expires in ${Math.max(1, Math.round((e.expires_at - now) / 60_000))} min`,
        );
        await ctx.reply(plain(["Pending enrollment links:", ...lines].join("\n")));
        return;
      }
      if (action !== "cancel")
        throw new UserError(`unknown !enroll action "${action}" — use !enroll or !enroll cancel <name>`);
      const name = args.positionals.name;
      if (!name) throw new UserError("say which: !enroll cancel <name>");
      const cancelled = deps.pull.cancel(name, ctx.sender);
      await ctx.reply(
        plain(
          cancelled > 0
            ? `Cancelled the pending link for ${name}. Enrolled devices are not touched.`
            : `${name} has no pending enrollment link — nothing to cancel (see !enroll).`,
        ),
      );
    },
  };
}
