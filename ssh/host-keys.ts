import { createHash } from "node:crypto";
import type { Db } from "../state/db";

/** OpenSSH-style fingerprint of a raw host key blob: "SHA256:…" (base64, unpadded). */
export function fingerprint(key: Buffer): string {
  return `SHA256:${createHash("sha256").update(key).digest("base64").replace(/=+$/, "")}`;
}

/** Host keys pinned on first use, keyed by "host:port". A changed key is refused, never re-pinned silently. */
export class HostKeyStore {
  constructor(private readonly db: Db) {}

  get(hostId: string): string | undefined {
    const row = this.db.prepare("SELECT fingerprint FROM host_keys WHERE host = ?").get(hostId) as
      { fingerprint: string } | undefined;
    return row?.fingerprint;
  }

  pin(hostId: string, fp: string): void {
    this.db
      .prepare(
        "INSERT INTO host_keys (host, fingerprint, pinned_at) VALUES (?, ?, ?) ON CONFLICT (host) DO NOTHING",
      )
      .run(hostId, fp, Date.now());
  }

  forget(hostId: string): void {
    this.db.prepare("DELETE FROM host_keys WHERE host = ?").run(hostId);
  }
}
