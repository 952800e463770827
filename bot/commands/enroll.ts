import { UserError } from "../../common/errors";
import type { BundleWatcher } from "../../provisioning/bundle/watch";
import type { PullService } from "../../provisioning/pull/service";
import { plain } from "../reply";
import type { Command } from "./types";

export interface EnrollDeps {
  pull: PullService;
  /** Pending bundles (meshpilot bundle); undefined without a mesh. */
  bundles?: Pick<BundleWatcher, "pending" | "cancel"> | undefined;
}

/**
 * `!enroll` lists the pending one-time links and bundles; `!enroll cancel <name>` kills a
 * name's link, or rolls back its bundle (never an enrolled device).
 */
export function enrollCommand(deps: EnrollDeps): Command {
  return {
    name: "enroll",
    summary: "pending one-time enrollment links (--via pull) and bundles; cancel <name> revokes one",
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
        const links = deps.pull.pending().filter((e) => e.kind !== "bundle");
        const bundles = deps.bundles?.pending() ?? [];
        if (links.length === 0 && bundles.length === 0) {
          await ctx.reply(plain("No pending enrollment links or bundles."));
          return;
        }
        const now = Date.now();
        const left = (at: number): string => {
          const min = Math.round((at - now) / 60_000);
          if (min <= 0) return "expired, being rolled back";
          return min < 120 ? `expires in ${Math.max(1, min)} min` : `expires in ${Math.round(min / 60)} h`;
        };
        const lines = [
          ...(links.length ? ["Pending enrollment links:"] : []),
          ...links.map((e) => `${e.name} — ${e.os}/${e.arch}, by ${e.created_by}, ${left(e.expires_at)}`),
          ...(bundles.length ? ["Pending bundles (finished when the PC's first handshake arrives):"] : []),
          ...bundles.map(
            (e) => `${e.name} — bundle, ${e.os}/${e.arch}, by ${e.created_by}, ${left(e.expires_at)}`,
          ),
        ];
        await ctx.reply(plain(lines.join("\n")));
        return;
      }
      if (action !== "cancel")
        throw new UserError(`unknown !enroll action "${action}" — use !enroll or !enroll cancel <name>`);
      const name = args.positionals.name;
      if (!name) throw new UserError("say which: !enroll cancel <name>");
      if (deps.bundles && (await deps.bundles.cancel(name, ctx.sender))) {
        await ctx.reply(
          plain(
            `Cancelled the bundle for ${name}: its hub peer, mesh IP and name were released. Enrolled devices are not touched.`,
          ),
        );
        return;
      }
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
