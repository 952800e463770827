import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { UserError } from "../../common/errors";
import { AuditLog } from "../../common/audit/log";
import type { SshPool } from "../../ssh/pool";
import { asSqlDatabase, openDatabase, type Db } from "../../state/db";
import { sshTargetOf, type DeviceStore } from "../../state/devices";
import type { Tool } from "../types";
import type { SshManifest } from "./policy";
import { sshTools } from "./provider";

/**
 * The tools of each live SSH-only device, and its bot-side audit log: one hash-chained
 * SQLite file per device (state_dir/audit/<name>.db), opened on first use.
 */
export class SshDevices {
  private readonly audits = new Map<string, { db: Db; log: AuditLog }>();

  constructor(
    private readonly devices: DeviceStore,
    private readonly pool: SshPool,
    private readonly auditDir: string,
  ) {
    mkdirSync(auditDir, { recursive: true, mode: 0o700 });
  }

  toolsFor(name: string): Tool[] {
    const device = this.devices.get(name);
    if (!device || device.backend !== "ssh" || device.status !== "live" || !device.manifest) {
      throw new UserError(`${name} is not a live SSH-only device — see !add-pc`);
    }
    const manifest = JSON.parse(device.manifest) as SshManifest;
    const target = sshTargetOf(device);
    return sshTools({ pool: this.pool, target, manifest, audit: this.audit(name) });
  }

  audit(name: string): AuditLog {
    let entry = this.audits.get(name);
    if (!entry) {
      const db = openDatabase(join(this.auditDir, `${name}.db`), []);
      // Like the device's own audit: fsync the WAL at every commit, so the row written
      // before a call survives a power cut. Set, not assumed: builds differ in the default
      // and WAL with NORMAL may lose the last commits.
      db.pragma("synchronous = FULL");
      entry = { db, log: new AuditLog(asSqlDatabase(db)) };
      this.audits.set(name, entry);
    }
    return entry.log;
  }

  closeAll(): void {
    for (const { db } of this.audits.values()) db.close();
    this.audits.clear();
  }
}
