import type { SshTarget } from "../ssh/target";
import { inTransaction, type Db } from "./db";

export type Backend = "wg" | "ssh";
export type DeviceStatus = "provisioning" | "live" | "revoked";

export interface Device {
  name: string;
  backend: Backend;
  status: DeviceStatus;
  ssh_user: string | null;
  ssh_host: string | null;
  ssh_port: number | null;
  os: string | null;
  arch: string | null;
  os_pretty: string | null;
  agent_user_id: string | null;
  room_id: string | null;
  mesh_ip: string | null;
  /** JSON of the device's manifest (for SSH devices: the bot-side policy). */
  manifest: string | null;
  created_at: number;
  updated_at: number;
}

/** How the bot reaches a device over SSH, from its row (the one place a row becomes an SshTarget). */
export function sshTargetOf(device: Pick<Device, "ssh_user" | "ssh_host" | "ssh_port">): SshTarget {
  return { user: device.ssh_user ?? "", host: device.ssh_host ?? "", port: device.ssh_port ?? 22 };
}

export type DeviceUpdate = Partial<Omit<Device, "name" | "created_at" | "updated_at">>;

const UPDATABLE = [
  "backend",
  "status",
  "ssh_user",
  "ssh_host",
  "ssh_port",
  "os",
  "arch",
  "os_pretty",
  "agent_user_id",
  "room_id",
  "mesh_ip",
  "manifest",
] as const;

/** The devices the bot knows, one row each. A name is held from the first step of !add-pc. */
export class DeviceStore {
  constructor(private readonly db: Db) {}

  get(name: string): Device | undefined {
    return this.db.prepare("SELECT * FROM devices WHERE name = ?").get(name) as Device | undefined;
  }

  /** The live device whose room this is, if any. */
  byRoom(roomId: string): Device | undefined {
    return this.db.prepare("SELECT * FROM devices WHERE room_id = ? AND status = 'live'").get(roomId) as
      Device | undefined;
  }

  list(): Device[] {
    return this.db.prepare("SELECT * FROM devices ORDER BY name").all() as Device[];
  }

  /** Holds the name for a device being provisioned; false when the name is taken. A revoked name is free again. */
  claim(name: string, backend: Backend, recordClaim: () => void = () => undefined): boolean {
    // The claim and the caller's record of it (the journal) commit together: a crash
    // between them would leave a held name that no undo knows it may release.
    return inTransaction(this.db, () => {
      const claimed = this.insertClaim(name, backend);
      if (claimed) recordClaim();
      return claimed;
    });
  }

  private insertClaim(name: string, backend: Backend): boolean {
    const now = Date.now();
    const result = this.db
      .prepare(
        `INSERT INTO devices (name, backend, status, created_at, updated_at) VALUES (?, ?, 'provisioning', ?, ?)
         ON CONFLICT (name) DO UPDATE SET backend = excluded.backend, status = 'provisioning', ssh_user = NULL,
           ssh_host = NULL, ssh_port = NULL, os = NULL, arch = NULL, os_pretty = NULL, agent_user_id = NULL,
           room_id = NULL, mesh_ip = NULL, manifest = NULL, created_at = excluded.created_at, updated_at = excluded.updated_at
         WHERE devices.status = 'revoked'`,
      )
      .run(name, backend, now, now);
    return result.changes === 1;
  }

  /**
   * Gives `name` the mesh IP `pick` chooses from the taken ones, in one write transaction
   * (BEGIN IMMEDIATE): the bot and the bundle CLI are two processes on one database, and
   * must never read the same free IP.
   */
  claimMeshIp(name: string, pick: (taken: ReadonlySet<string>) => string): string {
    return this.db
      .transaction(() => {
        const rows = this.db.prepare("SELECT mesh_ip FROM devices WHERE mesh_ip IS NOT NULL").all() as {
          mesh_ip: string;
        }[];
        const ip = pick(new Set(rows.map((r) => r.mesh_ip)));
        this.update(name, { mesh_ip: ip });
        return ip;
      })
      .immediate();
  }

  update(name: string, changes: DeviceUpdate): void {
    const keys = UPDATABLE.filter((k) => k in changes);
    if (keys.length === 0) return;
    const values = keys.map((k) => changes[k] ?? null);
    this.db
      .prepare(`UPDATE devices SET ${keys.map((k) => `${k} = ?`).join(", ")}, updated_at = ? WHERE name = ?`)
      .run(...values, Date.now(), name);
  }

  remove(name: string): void {
    this.db.prepare("DELETE FROM devices WHERE name = ?").run(name);
  }
}
