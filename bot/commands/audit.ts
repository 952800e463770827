import { UserError } from "../../common/errors";
import type { AuditEntry } from "../../common/audit/chain";
import type { AuditLog } from "../../common/audit/log";
import type { Device } from "../../state/devices";
import { formatAge } from "../../health/age";
import { wrapGrid } from "../grid";
import { escapeHtml } from "../html";
import type { Command } from "./types";

/** The bot's own copy of a WireGuard device's audit (capabilities/wg/audit-mirror.ts). */
export interface WgAuditView {
  head(name: string): { count: number };
  lastSync(
    name: string,
  ): { synced_at: number; ok: number; first_broken_id: number | null; reason: string | null } | undefined;
  recentCalls(name: string, n: number): Array<AuditEntry & { result?: AuditEntry }>;
}

export interface AuditDeps {
  device(name: string): Device | undefined;
  /** The bot-side audit log of an SSH-only device. */
  sshAudit(name: string): AuditLog;
  wgAudit: WgAuditView;
  now?: () => number;
}

/**
 * `!audit <device> [n]`: the last n calls with their results, and whether the chain
 * verifies. SSH devices: the bot-side log. WireGuard devices: the bot's own copy of the
 * device's chain, as of its last sync (after every call and every health sweep) — never
 * the device's word.
 */
export function auditCommand(deps: AuditDeps): Command {
  return {
    name: "audit",
    summary: "show a device's last audited calls and check its hash chain (WireGuard: the bot's own copy)",
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
      let header: string[];
      let calls: Array<AuditEntry & { result?: AuditEntry }>;
      if (device.backend === "ssh") {
        const log = deps.sshAudit(name);
        const verify = log.verify();
        calls = log.recentCalls(n);
        header = [
          `audit ${name} — ${verify.ok ? `chain ok, ${verify.count} entries` : `chain BROKEN at #${verify.firstBrokenId}: ${verify.reason}`}`,
        ];
      } else {
        calls = deps.wgAudit.recentCalls(name, n);
        header = wgHeader(name, deps.wgAudit, (deps.now ?? Date.now)());
      }
      const lines = [...header, ...(calls.length ? calls.flatMap(describeCall) : ["(no calls yet)"])];
      const grid = wrapGrid(lines).join("\n");
      return ctx
        .reply({ body: grid, html: `<pre><code>${escapeHtml(grid)}</code></pre>` })
        .then(() => undefined);
    },
  };
}

/** The bot's copy: how many entries it holds, when it last synced, and that sync's verdict. */
function wgHeader(name: string, view: WgAuditView, now: number): string[] {
  const count = view.head(name).count;
  const sync = view.lastSync(name);
  const copy = `audit ${name} — the bot's copy, ${count} entries`;
  if (!sync) return [copy, "not synced yet"];
  const when = `synced ${formatAge(Math.max(0, now - sync.synced_at))} ago`;
  if (sync.ok) return [copy, `${when}: chain ok, matches the calls sent`];
  return [copy, `${when}: BROKEN at #${sync.first_broken_id ?? "?"}: ${sync.reason ?? ""}`];
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
