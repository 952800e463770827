import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { NonceCache, verifyRequest } from "../../common/signing";
import type { AgentLog } from "../log";
import { routeRequest, type AgentState } from "./routes";
import { bodyCap, precheckHeaders, WIRE_LIMITS, type WireLimits } from "./wire";

/**
 * The agent's HTTP server (node:http, which Bun also runs, so the same code is tested
 * under Node). Every request is authenticated before anything else; a rejected one gets
 * the same 401 whatever the reason, and the reason goes to the agent's log only.
 *
 * What an unauthenticated peer can cost is bounded before any body is read: a capped
 * number of connections, header and request timeouts, a Content-Length cap (413), and the
 * signature headers' presence, shape and timestamp (401). Only then is the body read, with
 * a streaming cap, and the HMAC (which needs the body) checked.
 */
export { BODY_OVERHEAD_BYTES, WIRE_LIMITS, bodyCap } from "./wire";

export interface ServerOptions {
  secret: string;
  state: AgentState;
  log: AgentLog;
  now?: () => number;
  limits?: Partial<WireLimits>;
}

export function createAgentServer(options: ServerOptions): Server {
  const nonces = new NonceCache();
  const now = options.now ?? Date.now;
  const limits = { ...WIRE_LIMITS, ...options.limits };
  const server = createServer(
    {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      // How often the two timeouts above are enforced (Node's default is 30 s).
      connectionsCheckingInterval: Math.min(1000, limits.headersTimeoutMs),
    },
    (req, res) => {
      handle(req, res, options, nonces, now).catch((error: unknown) => {
        options.log.error("request failed", {
          path: req.url,
          error: error instanceof Error ? error.message : String(error),
        });
        if (!res.headersSent) send(res, 500, { error: "internal error" });
        else res.end();
      });
    },
  );
  server.maxConnections = limits.maxConnections;
  // headersTimeout does not cover a connection that never sends a byte: give every new
  // connection until headersTimeout to start a request (lifted when one arrives).
  server.on("connection", (socket) => {
    socket.setTimeout(limits.headersTimeoutMs, () => socket.destroy());
  });
  return server;
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  options: ServerOptions,
  nonces: NonceCache,
  now: () => number,
): Promise<void> {
  // The headers are in: from here requestTimeout bounds the body, and a long call may be quiet.
  req.socket.setTimeout(0);
  const method = req.method ?? "GET";
  const path = req.url ?? "/";
  const reject = (reason: string): void => {
    options.log.warn("request rejected", {
      method,
      path: path.split("?")[0],
      reason,
      from: req.socket.remoteAddress,
    });
    sendAndClose(req, res, 401, { error: "unauthorized" });
  };
  const cap = bodyCap(options.state.ctx.policy.limits.write_bytes);
  const declared = req.headers["content-length"];
  if (declared !== undefined && Number(declared) > cap) {
    return sendAndClose(req, res, 413, { error: `request body too large (at most ${cap} bytes)` });
  }
  const early = precheckHeaders(req.headers, now());
  if (early !== undefined) return reject(early);
  const body = await readBody(req, cap);
  if (body === undefined) return sendAndClose(req, res, 413, { error: "request body too large" });
  const verdict = verifyRequest(options.secret, { method, path, body }, req.headers, nonces, { now: now() });
  if (!verdict.ok) return reject(verdict.reason);
  const { status, payload } = await routeRequest(options.state, method, path, body);
  send(res, status, payload);
}

/** Reads the body up to `cap` bytes; undefined (and the request stopped) beyond it. */
function readBody(req: IncomingMessage, cap: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > cap) {
        req.pause();
        resolve(undefined);
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

/** Answers, then drops the connection rather than reading (and discarding) a body we refused. */
function sendAndClose(req: IncomingMessage, res: ServerResponse, status: number, payload: unknown): void {
  res.shouldKeepAlive = false;
  res.setHeader("connection", "close");
  res.once("finish", () => req.socket.destroy());
  send(res, status, payload);
}
