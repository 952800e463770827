import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { agentBaseUrl, agentHealthCheck } from "../../../../capabilities/wg/agent-http";
import { NonceCache, verifyRequest } from "../../../../common/signing";

/** agentHealthCheck against a real local HTTP server that checks the signature as the agent does. */
describe("agentHealthCheck", () => {
  const secret = "a".repeat(64);
  let server: Server;
  let port: number;
  let mode: "ok" | "fail" | "never" = "ok";
  const seen: Array<{ method: string; path: string; signed: boolean }> = [];
  const held: ServerResponse[] = [];

  beforeAll(async () => {
    const nonces = new NonceCache();
    server = createServer((req, res) => {
      const request = { method: req.method ?? "", path: req.url ?? "", body: "" };
      const signed = verifyRequest(secret, request, req.headers, nonces).ok;
      seen.push({ method: request.method, path: request.path, signed });
      if (!signed) return void res.writeHead(401).end();
      if (mode === "never") return void held.push(res);
      res
        .writeHead(mode === "ok" ? 200 : 500, { "content-type": "application/json" })
        .end(JSON.stringify(mode === "ok" ? { capabilities: 14 } : { error: "broken" }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as AddressInfo).port;
  });

  beforeEach(() => {
    mode = "ok";
    seen.length = 0;
  });

  afterAll(async () => {
    for (const res of held) res.destroy();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  test("a signed GET /health answered 200 is healthy", async () => {
    await expect(agentHealthCheck(port)("127.0.0.1", secret)).resolves.toBe(true);
    expect(seen).toEqual([{ method: "GET", path: "/health", signed: true }]);
  });

  test("HTTP 500 is not healthy", async () => {
    mode = "fail";
    await expect(agentHealthCheck(port)("127.0.0.1", secret)).resolves.toBe(false);
    expect(seen).toHaveLength(1);
  });

  test("an agent that never answers is not healthy once the timeout passes", async () => {
    mode = "never";
    const started = Date.now();
    await expect(agentHealthCheck(port, 300)("127.0.0.1", secret)).resolves.toBe(false);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(seen).toEqual([{ method: "GET", path: "/health", signed: true }]);
  });

  test("a request signed with another secret is refused by the agent, so not healthy", async () => {
    await expect(agentHealthCheck(port)("127.0.0.1", "b".repeat(64))).resolves.toBe(false);
    expect(seen).toEqual([{ method: "GET", path: "/health", signed: false }]);
  });

  test("nothing listening is not healthy, and not an error", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const free = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    await expect(agentHealthCheck(free)("127.0.0.1", secret)).resolves.toBe(false);
  });

  test("the base URL is the mesh IP at the agent port", () => {
    expect(agentBaseUrl("10.42.0.7", 7801)).toBe("http://10.42.0.7:7801");
  });
});
