import { UserError } from "../../common/errors";
import { escapeHtml } from "../html";
import type { CommandTable } from "./table";
import type { Command } from "./types";

/** `!help` and `!help <command>`, generated from the command table. */
export function helpCommand(table: () => CommandTable): Command {
  return {
    name: "help",
    summary: "list the commands, or show how to use one",
    usage: "!help [command]",
    args: { positionals: [{ name: "command", required: false }], flags: {} },
    async run(ctx, args) {
      const wanted = args.positionals.command?.replace(/^!/, "");
      const commands = table();
      if (wanted) {
        const command = commands.find(wanted);
        if (!command) throw new UserError(`there is no command !${wanted} — try !help for the list`);
        await ctx.reply({
          body: `${command.usage}\n${command.summary}`,
          html: `<code>${escapeHtml(command.usage)}</code><br>${escapeHtml(command.summary)}`,
        });
        return;
      }
      const lines = commands.commands.map((c) => ({ usage: c.usage, summary: c.summary }));
      await ctx.reply({
        body: ["meshpilot commands:", ...lines.map((l) => `${l.usage} — ${l.summary}`)].join("\n"),
        html:
          "<b>meshpilot commands</b><ul>" +
          lines
            .map((l) => `<li><code>${escapeHtml(l.usage)}</code> — ${escapeHtml(l.summary)}</li>`)
            .join("") +
          "</ul>",
      });
    },
  };
}
