import type { CommandTable } from "../bot/commands/table";
import type { WgAuditView } from "../bot/commands/audit";
import type { AuditLog } from "../common/audit/log";
import type { Logger } from "../common/log";
import type { Config } from "../config/schema";
import type { IncidentStore } from "../health/incidents";
import type { HealthStore } from "../health/store";
import type { Db } from "../state/db";
import type { DeviceStore } from "../state/devices";
import type { PanelAuth } from "./auth";
import { panelData } from "./build";
import type { Changes } from "./changes";
import { PanelServer } from "./server";

/** What startPanel takes from the running bot. */
export interface PanelParts {
  db: Db;
  auth: PanelAuth | undefined;
  changes: Changes;
  table: CommandTable;
  devices: DeviceStore;
  health: HealthStore;
  incidents: IncidentStore;
  sshAudit(name: string): AuditLog;
  wgAudit: WgAuditView;
  /** A reaction on an approval request, as if the operator reacted in the device room. */
  react(roomId: string, sender: string, eventId: string, key: string): boolean;
}

/** The panel listener, when panel: is configured; open grids follow every health verdict. */
export async function startPanel(
  config: Readonly<Config>,
  parts: PanelParts,
  log: Logger,
): Promise<RunningPanel | undefined> {
  const settings = config.panel;
  if (!settings || !parts.auth) return undefined;
  const server = new PanelServer({
    settings,
    auth: parts.auth,
    operators: new Set(config.operators),
    data: panelData({
      db: parts.db,
      devices: () => parts.devices.list(),
      health: () => parts.health.all(),
      openIncidents: () => parts.incidents.allOpen(),
      sshAudit: (name) => parts.sshAudit(name),
      wgAudit: parts.wgAudit,
    }),
    commands: parts.table,
    // ✅/❌ through the same broker a reaction goes to: operators only, pending only.
    approve: (roomId, eventId, operator, yes) => parts.react(roomId, operator, eventId, yes ? "✅" : "❌"),
    log: log.child({ component: "panel" }),
  });
  const stopListening = parts.changes.on(() => server.poke());
  const port = await server.start();
  log.info({ bind: settings.bind_address, port, public_url: settings.public_url }, "panel listening");
  return {
    port,
    stop: async () => {
      stopListening();
      await server.stop();
    },
  };
}

export interface RunningPanel {
  port: number;
  stop(): Promise<void>;
}
