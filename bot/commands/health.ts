import { UserError } from "../../common/errors";
import type { Incident, Silence } from "../../health/incidents";
import type { HealthRecord } from "../../health/store";
import type { Device } from "../../state/devices";
import { healthDetail, healthGrid, incidentDetail, incidentList } from "../health-grid";
import { escapeHtml } from "../html";
import type { Command, CommandContext, ParsedArgs } from "./types";

export interface HealthDeps {
  devices(): Device[];
  health(): Map<string, HealthRecord>;
  /** Open incidents, oldest first; absent: the grid shows none. */
  incidents?(): Incident[];
  /** A device's silence (🔕) while it lasts. */
  silence?(device: string): Silence | undefined;
  now?: () => number;
}

/** `!health [name]` and `!devices [name]`: the same grid (Element X shows no tables: a <pre> block). */
export function healthCommand(deps: HealthDeps, name: "health" | "devices" = "health"): Command {
  return {
    name,
    summary:
      name === "health"
        ? "every device's status (🟢 🟡 🔴 ⚫) and the open incidents, or one device in detail"
        : "list the devices with their status (same as !health)",
    usage: `!${name} [device]`,
    args: { positionals: [{ name: "device", required: false }], flags: {} },
    run: (ctx, args) => show(deps, ctx, args),
  };
}

async function show(deps: HealthDeps, ctx: CommandContext, args: ParsedArgs): Promise<void> {
  const now = (deps.now ?? Date.now)();
  const devices = deps.devices();
  const health = deps.health();
  const incidents = deps.incidents?.() ?? [];
  const silence = (device: string): Silence | undefined => deps.silence?.(device);
  const wanted = args.positionals.device;
  let text: string;
  if (wanted !== undefined) {
    const device = devices.find((d) => d.name === wanted);
    if (!device) throw new UserError(`there is no device ${wanted} — !health lists them`);
    const open = incidents.find((i) => i.device === device.name);
    text = `${healthDetail(device, health.get(device.name), now)}\n${incidentDetail(open, silence(device.name), now)}`;
  } else {
    const grid = healthGrid(
      devices.map((device) => ({ device, health: health.get(device.name) })),
      now,
    );
    text = `${grid}\n\n${incidentList(incidents, silence, now)}`;
  }
  await ctx.reply({ body: text, html: `<pre><code>${escapeHtml(text)}</code></pre>` });
}
