import { createServer } from "node:http";
import Database from "better-sqlite3";
import { AuditLog } from "../common/audit/log";
import { NonceCache, verifyRequest } from "../common/signing";
import { asSqlDatabase } from "../state/db";

/**
 * N tiny signed device-agent stand-ins on consecutive loopback ports, each with its own
 * hash-chained audit log (50 entries): the real signing and verify code, without 200
 * copies of the 100 MB agent. Prints "ready" when all listen. argv: secret basePort count.
 */
const [secret = "", base = "21000", count = "200"] = process.argv.slice(2);
let listening = 0;
for (let i = 0; i < Number(count); i++) {
  const audit = new AuditLog(asSqlDatabase(new Database(":memory:")));
  for (let n = 0; n < 25; n++) {
    const id = audit.recordCall({ capability: "fs.list", args: { path: `/home/u/${n}` }, caller: "bench" });
    audit.recordResult(id, "fs.list", "bench", { exitCode: 0, bytes: 10, durationMs: 1 });
  }
  const nonces = new NonceCache();
  const server = createServer((req, res) => {
    const check = verifyRequest(
      secret,
      { method: req.method ?? "", path: req.url ?? "", body: "" },
      req.headers,
      nonces,
    );
    if (!check.ok) return void res.writeHead(401).end();
    const url = new URL(req.url ?? "/", "http://agent");
    const count = url.searchParams.get("count");
    const payload =
      url.pathname === "/health"
        ? { version: "bench", capabilities: 14, audit: audit.head() }
        : url.pathname === "/audit/verify"
          ? audit.verify(
              count ? { count: Number(count), hash: url.searchParams.get("hash") ?? "" } : undefined,
            )
          : auditPage(audit, url.searchParams);
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(payload));
  });
  server.listen(Number(base) + i, "127.0.0.1", () => {
    if (++listening === Number(count)) process.stdout.write("ready\n");
  });
}

/** GET /audit/entries as the real agent pages it: after, limit, and where the next page starts. */
function auditPage(audit: AuditLog, query: URLSearchParams): unknown {
  const entries = audit.entries(Number(query.get("after") ?? 0), Number(query.get("limit") ?? 100));
  const last = entries[entries.length - 1];
  return { entries, next_after: last && last.id < audit.head().count ? last.id : null };
}
