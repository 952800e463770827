import { createServer } from "node:net";
import { agentRequest } from "../capabilities/wg/agent-http";

/** A free TCP port on loopback, for an agent started by a benchmark. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Resolves once the agent at `url` answers a signed /health. */
export async function waitForHealth(url: string, secret: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await agentRequest(url, secret, "GET", "/health", undefined, 1000)).status === 200) return;
    } catch {
      if (Date.now() > deadline) throw new Error(`the agent did not answer on ${url} within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}
