import { UserError } from "../../common/errors";
import type { Grant } from "../../agents/approval-grants";
import { clockText, scopeText, scopeWhat } from "../../agents/approval-scope";
import { wrapGrid } from "../grid";
import { escapeHtml } from "../html";
import { plain } from "../reply";
import type { Command } from "./types";

export interface ApprovalsDeps {
  /** The session grants (agents/approval-grants.ts GrantStore): the same rows the agents read. */
  grants: { live(): Grant[]; revoke(which: number | "all", by: string): number[] };
}

const USAGE = "!approvals [revoke <id|all>]";

/**
 * `!approvals` lists the live 🔁 session grants (device, scope, who, until when);
 * `!approvals revoke <id|all>` ends them at once — the next call they covered asks again.
 * Who ended a grant is kept in its row and in the log.
 */
export function approvalsCommand(deps: ApprovalsDeps): Command {
  return {
    name: "approvals",
    summary: "list the live 🔁 session approvals, or end one (revoke <id>) or all (revoke all)",
    usage: USAGE,
    args: {
      positionals: [
        { name: "action", required: false },
        { name: "which", required: false },
      ],
      flags: {},
    },
    async run(ctx, args) {
      const { action, which } = args.positionals;
      if (action === undefined) {
        const grid = wrapGrid(listLines(deps.grants.live())).join("\n");
        await ctx.reply({ body: grid, html: `<pre><code>${escapeHtml(grid)}</code></pre>` });
        return;
      }
      if (action !== "revoke")
        throw new UserError(`!approvals takes nothing or revoke, not ${action} — usage: ${USAGE}`);
      const target = parseTarget(which);
      const live = deps.grants.live();
      if (target !== "all" && !live.some((g) => g.id === target))
        throw new UserError(`there is no live session grant #${target} — !approvals lists them`);
      const ended = deps.grants.revoke(target, ctx.sender);
      ctx.log.info({ operator: ctx.sender, grants: ended }, "session grants revoked");
      const endedGrants = live.filter((g) => ended.includes(g.id));
      await ctx.reply(
        plain(
          endedGrants.length === 0
            ? "There were no live session grants; nothing changed."
            : `Ended ${endedGrants.map((g) => `#${g.id} (${scopeText(g.scope)})`).join(", ")}. Those calls ask again.`,
        ),
      );
    },
  };
}

function parseTarget(which: string | undefined): number | "all" {
  if (which === "all") return "all";
  const match = /^#?(\d{1,9})$/.exec(which ?? "");
  if (!match)
    throw new UserError(`say which grant to end: a number from !approvals, or all — usage: ${USAGE}`);
  return Number(match[1]);
}

function listLines(grants: readonly Grant[]): string[] {
  if (grants.length === 0) return ["no live session grants", "(🔁 on an approval card makes one)"];
  const lines = [`session grants: ${grants.length} live`];
  for (const grant of grants) {
    lines.push(
      `#${grant.id} ${grant.scope.device} until ${clockText(grant.expiresAt)}`,
      `  ${scopeWhat(grant.scope)}`,
      `  by ${grant.grantedBy}, used ${grant.uses}×`,
    );
  }
  lines.push("!approvals revoke <id|all> ends them;", "a restart ends them all.");
  return lines;
}
