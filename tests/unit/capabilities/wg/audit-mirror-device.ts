import { createHash } from "node:crypto";
import { canonicalJson, entryHash, type AuditEntry } from "../../../../common/audit/chain";
import { AuditLog } from "../../../../common/audit/log";
import type { AgentTransport } from "../../../../capabilities/wg/wire";
import { asSqlDatabase, openDatabase, type Db } from "../../../../state/db";

/**
 * A device agent stand-in for the audit mirror's tests: a real AuditLog (better-sqlite3,
 * as the device writes it) behind a fake HTTP function that answers POST /call the way
 * device-agent/invoke.ts does and GET /audit/entries the way its routes do. Replies go
 * through JSON, as on the wire. `tamper` helpers play the hostile process on the PC.
 */
export class FakeDevice {
  readonly db: Db = openDatabase(":memory:", []);
  readonly audit = new AuditLog(asSqlDatabase(this.db));
  /** Capabilities the device refuses (policy). */
  readonly refuse = new Set<string>();
  /** Answer a done call after deleting its result entry. */
  dropResults = false;
  /** GET requests fail (the sync after a call cannot run). */
  offline = false;
  readonly requests: string[] = [];

  readonly transport: AgentTransport = (method, path, payload) => {
    this.requests.push(`${method} ${path}`);
    if (method === "GET" && this.offline) return Promise.reject(new Error("ECONNREFUSED"));
    const reply = method === "POST" ? this.call(payload) : this.get(path);
    return Promise.resolve({ status: reply.status, body: JSON.parse(JSON.stringify(reply.body)) as unknown });
  };

  private call(payload: unknown): { status: number; body: unknown } {
    const request = payload as {
      capability: string;
      args: unknown;
      caller: string;
      approved_by?: string;
      call_ref?: string;
    };
    const caller = request.approved_by
      ? `${request.caller} (approved by ${request.approved_by})`
      : request.caller;
    const intent = {
      capability: request.capability,
      args: auditArgs(request),
      caller,
      ref: request.call_ref ?? null,
    };
    if (this.refuse.has(request.capability)) {
      const refusal = { code: "capability_disabled", message: `${request.capability} is not enabled` };
      const auditId = this.audit.recordCall(intent, `${refusal.code}: ${refusal.message}`);
      return { status: 403, body: { status: "refused", auditId, refusal } };
    }
    const auditId = this.audit.recordCall(intent);
    const resultId = this.audit.recordResult(
      auditId,
      request.capability,
      caller,
      { exitCode: 0, bytes: 12, durationMs: 3 },
      intent.ref,
    );
    if (this.dropResults) this.db.prepare("DELETE FROM audit WHERE id = ?").run(resultId);
    const result = { ok: true, exitCode: 0, stdout: "hello world\n", truncated: false, bytes: 12 };
    return { status: 200, body: { status: "done", auditId, result, auditResultWritten: true } };
  }

  private get(path: string): { status: number; body: unknown } {
    const url = new URL(path, "http://agent");
    if (url.pathname !== "/audit/entries") return { status: 404, body: { error: `no route ${path}` } };
    const entries = this.audit.entries(
      Number(url.searchParams.get("after")),
      Number(url.searchParams.get("limit")),
    );
    const last = entries[entries.length - 1];
    const head = this.audit.head();
    return { status: 200, body: { entries, next_after: last && last.id < head.count ? last.id : null } };
  }

  /** A process on the PC writes straight into the audit database. */
  sql(statement: string, ...params: Array<string | number | null>): void {
    this.db.prepare(statement).run(...params);
  }

  /** Recomputes every hash from `fromId` on, as a tamperer who knows the algorithm would. */
  rechain(fromId: number): void {
    const rows = this.db.prepare("SELECT * FROM audit ORDER BY id").all() as Array<
      AuditEntry & { ref: string | null }
    >;
    let prev = rows.find((r) => r.id === fromId - 1)?.hash ?? "0".repeat(64);
    for (const row of rows.filter((r) => r.id >= fromId)) {
      const hash = entryHash(prev, row);
      this.sql("UPDATE audit SET prev_hash = ?, hash = ? WHERE id = ?", prev, hash, row.id);
      prev = hash;
    }
  }

  /** Rewrites an entry's arguments and re-chains everything after it: the device's own verify says ok. */
  rewriteArgs(id: number, args: unknown): void {
    this.sql("UPDATE audit SET args = ? WHERE id = ?", canonicalJson(args), id);
    this.rechain(id);
  }
}

/** fs.write is audited as device-agent/capabilities/fs.ts does: its content as size and SHA-256. */
function auditArgs(request: { capability: string; args: unknown }): unknown {
  if (request.capability !== "fs.write") return request.args;
  const input = request.args as { path: string; content: string; mode?: string };
  const content = Buffer.from(input.content, "utf8");
  return {
    path: input.path,
    mode: input.mode ?? "create",
    bytes: content.length,
    sha256: createHash("sha256").update(content).digest("hex"),
  };
}
