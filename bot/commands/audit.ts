import { UserError } from "../../common/errors";
import type { AuditEntry } from "../../common/audit/chain";
import type { AuditLog } from "../../common/audit/log";
import type { Device } from "../../state/devices";
import { wrapGrid } from "../grid";
import { escapeHtml } from "../html";
import type { Command } from "./types";

export interface AuditDeps {
  device(name: string): Device | undefined;
  /** The bot-side audit log of an SSH-only device. */
  sshAudit(name: string): AuditLog;
}

/** `!audit <device> [n]`: the last n calls with their results, and whether the chain verifies. */
export function auditCommand(deps: AuditDeps): Command {
  return {
    name: "audit",
    summary: "show a device's last audited calls and check its hash chain",
    usage: "!audit <device> [n]",
    args: {
      positionals: [
        { name: "device", required: true },
        { name: "n", required: false },
      ],
      flags: {},
    },
    run(ctx, args) {
      const name = args.positionals.device!;
      const n = args.positionals.n === undefined ? 10 : Number(args.positionals.n);
      if (!Number.isInteger(n) || n < 1 || n > 50)
        throw new UserError("n must be a whole number from 1 to 50 — usage: !audit <device> [n]");
      const device = deps.device(name);
      if (!device) throw new UserError(`there is no device ${name} — see !help add-pc`);
      if (device.backend !== "ssh")
        throw new UserError(
          `${name} keeps its audit log on the device; reading it from chat comes with the WireGuard backend`,
        );
      const log = deps.sshAudit(name);
      const verify = log.verify();
      const calls = log.recentCalls(n);
      const chain = verify.ok
        ? `chain ok, ${verify.count} entries`
        : `chain BROKEN at #${verify.firstBrokenId}: ${verify.reason}`;
      const lines = [
        `audit ${name} — ${chain}`,
        ...(calls.length ? calls.flatMap(describeCall) : ["(no calls yet)"]),
      ];
      const grid = wrapGrid(lines).join("\n");
      return ctx
        .reply({ body: grid, html: `<pre><code>${escapeHtml(grid)}</code></pre>` })
        .then(() => undefined);
    },
  };
}

function describeCall(call: AuditEntry & { result?: AuditEntry }): string[] {
  const time = new Date(call.ts).toISOString().slice(11, 19);
  const args = summariseArgs(call.args);
  let outcome: string;
  if (call.refusal) outcome = `refused: ${call.refusal}`;
  else if (!call.result) outcome = "no result recorded";
  else if (call.result.error) outcome = call.result.error;
  else outcome = `exit ${call.result.exit_code ?? "?"}, ${call.result.bytes ?? 0} B`;
  return [`#${call.id} ${time} ${call.capability}`, `  ${args}`, `  → ${outcome}`];
}

function summariseArgs(json: string): string {
  try {
    const args = JSON.parse(json) as { argv?: string[]; path?: string };
    if (Array.isArray(args.argv)) return args.argv.join(" ");
    if (typeof args.path === "string") return args.path;
  } catch {
    // fall through to the raw text
  }
  return json;
}
