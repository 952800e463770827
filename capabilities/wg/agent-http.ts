import { signRequest } from "../../common/signing";

/**
 * A signed request to a device agent. Used by the bot's WireGuard provider, the health
 * monitor, the e2e tests and the benchmark; Node's fetch only.
 *
 * The device is not trusted with the bot's request: a redirect is never followed (the
 * signed request would go wherever the device points — the hub, the homeserver, anything
 * the bot can reach), the answer is read up to a cap and must be JSON. What the JSON
 * means is checked by the caller's schema (capabilities/wg/wire.ts).
 */
export interface AgentReply {
  status: number;
  body: unknown;
}

/** Far above any page of audit entries or capped tool output the agent sends. */
export const MAX_REPLY_BYTES = 8 * 1024 * 1024;

export class AgentReplyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AgentReplyError";
  }
}

export async function agentRequest(
  baseUrl: string,
  secret: string,
  method: "GET" | "POST",
  path: string,
  payload?: unknown,
  timeoutMs = 60_000,
  maxBytes = MAX_REPLY_BYTES,
): Promise<AgentReply> {
  const body = payload === undefined ? "" : JSON.stringify(payload);
  const headers = signRequest(secret, { method, path, body });
  const signal = AbortSignal.timeout(timeoutMs);
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { ...headers, ...(body ? { "content-type": "application/json" } : {}) },
    ...(method === "POST" ? { body } : {}),
    redirect: "manual",
    signal,
  });
  if (response.status >= 300 && response.status < 400) {
    await response.body?.cancel().catch(() => undefined);
    throw new AgentReplyError(
      `the device agent answered ${method} ${path.split("?")[0]} with a redirect (HTTP ${response.status}); the bot does not follow redirects`,
    );
  }
  const text = await readCapped(response, maxBytes);
  try {
    return { status: response.status, body: JSON.parse(text) as unknown };
  } catch {
    // An error status speaks for itself (a proxy's 502 page, an empty 503); a success must be JSON.
    if (!response.ok) return { status: response.status, body: null };
    throw new AgentReplyError(
      `the device agent answered HTTP ${response.status} with a body that is not JSON`,
    );
  }
}

/** The device agent's base URL on a device's mesh IP. */
export function agentBaseUrl(meshIp: string, agentPort: number): string {
  return `http://${meshIp}:${agentPort}`;
}

/** Long enough for an agent that is up; provisioning polls again after a miss. */
const HEALTH_CHECK_TIMEOUT_MS = 3000;

/**
 * Whether the device agent on a mesh IP answers a signed GET /health with 200 in time.
 * Any other answer, a refused or reset connection, a timeout or a body that is not JSON
 * reads as "not yet": provisioning waits on it after starting the agent.
 */
export function agentHealthCheck(
  agentPort: number,
  timeoutMs = HEALTH_CHECK_TIMEOUT_MS,
): (meshIp: string, secret: string) => Promise<boolean> {
  return async (meshIp, secret) => {
    try {
      const reply = await agentRequest(
        agentBaseUrl(meshIp, agentPort),
        secret,
        "GET",
        "/health",
        undefined,
        timeoutMs,
      );
      return reply.status === 200;
    } catch {
      return false;
    }
  };
}

/** Reads the body as a stream and stops at the cap, whatever Content-Length claims. */
async function readCapped(response: Response, maxBytes: number): Promise<string> {
  const declared = Number(response.headers.get("content-length") ?? "0");
  if (declared > maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    throw tooLarge(maxBytes);
  }
  if (!response.body) return "";
  const reader: ReadableStreamDefaultReader<Uint8Array> = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge(maxBytes);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function tooLarge(maxBytes: number): AgentReplyError {
  return new AgentReplyError(`the device agent's answer is larger than ${maxBytes / (1024 * 1024)} MiB`);
}
