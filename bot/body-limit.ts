import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Appservice } from "matrix-bot-sdk";

/**
 * Synapse sends at most 100 PDUs and 100 EDUs per transaction (each PDU ≤ 64 KiB), so a
 * few MiB is far above any real one; a bigger body is refused before it is read.
 */
export const MAX_REQUEST_BYTES = 4 * 1024 * 1024;

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * Caps request bodies on the appservice listener. matrix-bot-sdk 0.8 installs
 * `express.json({ limit: Number.MAX_SAFE_INTEGER })` in the Appservice constructor — the
 * first middleware of its express app, so nothing added later runs before it. The cap
 * therefore sits in front of express: the HTTP server that `begin()` starts (through the
 * app's `listen`) hands every request to the cap first. Call before `begin()`.
 */
export function capAppserviceBodies(appservice: Appservice, maxBytes = MAX_REQUEST_BYTES): void {
  const app = appservice.expressAppInstance;
  const handler = bodyCap((req, res) => {
    app(req, res);
  }, maxBytes);
  const listen = (...args: unknown[]): Server =>
    createServer(handler).listen(...(args as Parameters<Server["listen"]>));
  app.listen = listen as typeof app.listen;
}

/**
 * Answers 413 when Content-Length is over the cap, and 411 for a body without one (a
 * chunked body could be any size; Synapse always sends the length), without reading it.
 */
export function bodyCap(next: Handler, maxBytes: number): Handler {
  return (req, res) => {
    const length = req.headers["content-length"];
    const chunked = req.headers["transfer-encoding"] !== undefined;
    if (length === undefined && chunked) return refuse(res, 411, "a request body needs a Content-Length");
    if (length !== undefined && !(Number(length) <= maxBytes))
      return refuse(res, 413, `the request body is larger than ${maxBytes} bytes`);
    next(req, res);
  };
}

function refuse(res: ServerResponse, status: number, error: string): void {
  const body = JSON.stringify({ errcode: status === 413 ? "M_TOO_LARGE" : "M_UNKNOWN", error });
  // The unread body is not drained: the connection is closed after the answer.
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(body),
    connection: "close",
  });
  res.end(body);
}
