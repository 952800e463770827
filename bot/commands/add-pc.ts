import { ReportedFailure, UserError } from "../../common/errors";
import type { PullService } from "../../provisioning/pull/service";
import type { ProvisioningService } from "../../provisioning/service";
import { plain } from "../reply";
import { RunChecklist, failureSentence } from "../run-render";
import type { Command } from "./types";

export interface AddPcDeps {
  provisioning: ProvisioningService;
  pull: PullService;
  roomAlias(device: string): string;
}

/** `!add-pc <name> --via ssh --ssh user@host` — one command, one edited progress notice, one outcome that pushes. */
export function addPcCommand(deps: AddPcDeps): Command {
  return {
    name: "add-pc",
    summary:
      "add a PC: --via wg (mesh + agent installed over SSH), --via pull (the PC runs a one-time command; behind NAT) or --via ssh (read-only, nothing installed)",
    usage:
      "!add-pc <name> --via wg|ssh --ssh user@host[:port]|<alias> [--key PATH] [--os OS --arch ARCH] · !add-pc <name> --via pull [--os linux|darwin|windows] [--arch amd64|arm64]",
    args: {
      positionals: [{ name: "name", required: true }],
      flags: {
        via: { takesValue: true, choices: ["wg", "ssh", "pull"], required: true },
        ssh: { takesValue: true },
        key: { takesValue: true },
        os: { takesValue: true },
        arch: { takesValue: true },
      },
    },
    async run(ctx, args) {
      const name = args.positionals.name!;
      const via = args.flags.via as string;
      const ssh = args.flags.ssh;
      if (via === "pull") return runPull(deps, ctx, name, args);
      if (typeof ssh !== "string")
        throw new UserError(`--via ${via} needs --ssh user@host[:port] (or an alias from ssh_hosts)`);
      const text = (flag: string): string | undefined =>
        typeof args.flags[flag] === "string" ? args.flags[flag] : undefined;
      const prepared = deps.provisioning.prepare({
        name,
        via: via as "wg" | "ssh",
        ssh,
        ...(text("key") ? { keyFile: text("key") } : {}),
        ...(text("os") ? { os: text("os") } : {}),
        ...(text("arch") ? { arch: text("arch") } : {}),
        by: ctx.sender,
      });
      const checklist = new RunChecklist(`adding ${name} (${via === "wg" ? "WireGuard" : "SSH-only"})`);
      const progress = await ctx.startProgress(checklist.render());
      const result = await prepared.execute((event) => {
        checklist.apply(event);
        progress.update(checklist.render());
      });
      const alias = deps.roomAlias(name);
      switch (result.kind) {
        case "already_live":
          await progress.finish(
            plain(`${name} is already live — nothing changed. Its agent is in ${alias}.`),
          );
          return;
        case "repaired": {
          const fixed = result.report.repaired.map(
            (r) => `${r.step}: ${r.problem}${r.action ? ` → ${r.action}` : ""}`,
          );
          const failed = result.report.failed.map(
            (f) => `${f.step}: ${f.problem} (repair failed: ${f.reason})`,
          );
          const text = [`${name} was live but broken; repaired:`, ...fixed, ...failed].join("\n");
          await progress.finish(plain(text));
          await ctx.tell(plain(text));
          if (failed.length > 0) throw new ReportedFailure("repair incomplete");
          return;
        }
        case "added":
          await progress.finish(checklist.render(`✓ agent-${name} live — say hi in ${alias}`));
          await ctx.tell(plain(`✓ agent-${name} live — say hi in ${alias}`));
          return;
        case "failed": {
          const sentence = failureSentence(result.outcome, result.total);
          await progress.finish(checklist.render(sentence));
          await ctx.tell(plain(sentence));
          throw new ReportedFailure(sentence);
        }
      }
    },
  };
}

/** --via pull: the one-time command first (an m.text: it pushes), then the run's progress as it waits for the PC. */
async function runPull(
  deps: AddPcDeps,
  ctx: Parameters<Command["run"]>[0],
  name: string,
  args: Parameters<Command["run"]>[1],
): Promise<void> {
  for (const flag of ["ssh", "key"])
    if (args.flags[flag] !== undefined)
      throw new UserError(`--${flag} does not apply to --via pull: the PC runs the command itself`);
  const text = (flag: string): string | undefined =>
    typeof args.flags[flag] === "string" ? args.flags[flag] : undefined;
  const prepared = deps.pull.prepare({ name, os: text("os"), arch: text("arch"), by: ctx.sender });
  const minutes = Math.max(1, Math.round((prepared.expiresAt - Date.now()) / 60_000));
  const os = text("os") ?? "linux";
  const where = os === "windows" ? "in an elevated PowerShell on the PC" : "on the PC";
  await ctx.tell(
    plain(
      `${prepared.reenroll ? `${name} is enrolled already: this link enrolls it again (new key, same IP, same room).` : `To add ${name}, run this ${where} within ${minutes} min (it works once):`}\n${prepared.command}`,
    ),
  );
  const checklist = new RunChecklist(
    prepared.reenroll ? `enrolling ${name} again (pull)` : `adding ${name} (pull)`,
  );
  const progress = await ctx.startProgress(checklist.render());
  const result = await prepared.execute((event) => {
    checklist.apply(event);
    progress.update(checklist.render());
  });
  const alias = deps.roomAlias(name);
  if (result.kind === "failed") {
    const sentence = failureSentence(result.outcome, result.total);
    await progress.finish(checklist.render(sentence));
    await ctx.tell(plain(sentence));
    throw new ReportedFailure(sentence);
  }
  const done =
    result.kind === "reenrolled"
      ? `✓ ${name} enrolled again — its agent is in ${alias}`
      : `✓ agent-${name} live — say hi in ${alias}`;
  await progress.finish(checklist.render(done));
  await ctx.tell(plain(done));
}
