import { UserError } from "../../common/errors";
import type { PanelAuth } from "../../panel/auth";
import { plain } from "../reply";
import type { Command } from "./types";

export interface PanelDeps {
  /** Undefined when the config has no panel: section. */
  auth: PanelAuth | undefined;
}

/**
 * `!panel` sends the operator a one-time login link for the web panel (an m.text: it
 * pushes); `!panel logout` ends all of that operator's panel sessions.
 */
export function panelCommand(deps: PanelDeps): Command {
  return {
    name: "panel",
    summary:
      "a one-time login link to the web panel (works once, 10 min, only for you); logout ends your sessions",
    usage: "!panel [logout]",
    args: { positionals: [{ name: "action", required: false }], flags: {} },
    async run(ctx, args) {
      const action = args.positionals.action;
      if (action !== undefined && action !== "logout")
        throw new UserError(`!panel takes nothing or logout, not ${action} — usage: !panel [logout]`);
      const auth = deps.auth;
      if (!auth)
        throw new UserError(
          "the web panel is not configured — add a panel: section to the config (docs/panel.md)",
        );
      if (action === "logout") {
        const ended = auth.logout(ctx.sender);
        ctx.log.info({ operator: ctx.sender, ...ended }, "panel sessions ended");
        await ctx.reply(
          plain(
            `Ended ${ended.sessions} panel session${ended.sessions === 1 ? "" : "s"} of yours${ended.links ? ` and ${ended.links} unused link${ended.links === 1 ? "" : "s"}` : ""}.`,
          ),
        );
        return;
      }
      const { url, expiresAt } = auth.link(ctx.sender);
      const minutes = Math.max(1, Math.round((expiresAt - Date.now()) / 60_000));
      ctx.log.info({ operator: ctx.sender }, "panel login link issued");
      await ctx.tell(
        plain(
          `Your panel login link (works once, only for you, within ${minutes} min):\n${url}\nOpen it and press Continue. !panel logout ends your sessions.`,
        ),
      );
    },
  };
}
