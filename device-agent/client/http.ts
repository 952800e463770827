import { signRequest } from "../../common/signing";

/**
 * A signed request to a device agent. Used by the bot's WireGuard provider, the e2e relay
 * and the benchmark; Node's fetch only.
 */
export interface AgentReply {
  status: number;
  body: unknown;
}

export async function agentRequest(
  baseUrl: string,
  secret: string,
  method: "GET" | "POST",
  path: string,
  payload?: unknown,
  timeoutMs = 60_000,
): Promise<AgentReply> {
  const body = payload === undefined ? "" : JSON.stringify(payload);
  const headers = signRequest(secret, { method, path, body });
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { ...headers, ...(body ? { "content-type": "application/json" } : {}) },
    ...(method === "POST" ? { body } : {}),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, body: parsed };
}
