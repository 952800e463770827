import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { NonceCache, verifyRequest } from "../../common/signing";
import type { AgentLog } from "../log";
import { routeRequest, type AgentState } from "./routes";

/**
 * The agent's HTTP server (node:http, which Bun also runs, so the same code is tested
 * under Node). Every request is authenticated before anything else; a rejected one gets
 * the same 401 whatever the reason, and the reason goes to the agent's log only.
 */
export const MAX_BODY_BYTES = 8 * 1024 * 1024;

export interface ServerOptions {
  secret: string;
  state: AgentState;
  log: AgentLog;
  now?: () => number;
}

export function createAgentServer(options: ServerOptions): Server {
  const nonces = new NonceCache();
  const now = options.now ?? Date.now;
  return createServer((req, res) => {
    handle(req, res, options, nonces, now).catch((error: unknown) => {
      options.log.error("request failed", {
        path: req.url,
        error: error instanceof Error ? error.message : String(error),
      });
      if (!res.headersSent) send(res, 500, { error: "internal error" });
      else res.end();
    });
  });
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  options: ServerOptions,
  nonces: NonceCache,
  now: () => number,
): Promise<void> {
  const body = await readBody(req);
  if (body === undefined) return send(res, 413, { error: "request body too large" });
  const method = req.method ?? "GET";
  const path = req.url ?? "/";
  const verdict = verifyRequest(options.secret, { method, path, body }, req.headers, nonces, { now: now() });
  if (!verdict.ok) {
    options.log.warn("request rejected", {
      method,
      path: path.split("?")[0],
      reason: verdict.reason,
      from: req.socket.remoteAddress,
    });
    return send(res, 401, { error: "unauthorized" });
  }
  const { status, payload } = await routeRequest(options.state, method, path, body);
  send(res, status, payload);
}

function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        resolve(undefined);
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function send(res: ServerResponse, status: number, payload: unknown): void {
  const text = JSON.stringify(payload);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}
