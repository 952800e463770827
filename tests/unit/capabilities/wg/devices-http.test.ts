import { createServer, type RequestListener, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { agentRequest } from "../../../../capabilities/wg/agent-http";
import { agentHealth } from "../../../../health/probes";

/** The bot's HTTP client to device agents, against real local servers playing hostile devices. */
describe("agentRequest against a hostile device", () => {
  const servers: Server[] = [];
  const serve = async (listener: RequestListener): Promise<string> => {
    const server = createServer(listener);
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  };
  afterAll(() => Promise.all(servers.map((s) => new Promise((r) => s.close(r)))));

  test("a redirect is an error naming the status, and the signed request goes nowhere else", async () => {
    let hits = 0;
    const elsewhere = await serve((_req, res) => {
      hits++;
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
    const device = await serve((_req, res) => res.writeHead(302, { location: `${elsewhere}/steal` }).end());
    await expect(
      agentRequest(device, "s".repeat(64), "POST", "/call", { capability: "fs.list" }, 2000),
    ).rejects.toThrow(/redirect \(HTTP 302\)/);
    await expect(agentRequest(device, "s".repeat(64), "GET", "/health", undefined, 2000)).rejects.toThrow(
      /HTTP 302/,
    );
    expect(hits).toBe(0);
  });

  test("an answer over the cap, or not JSON, is an error", async () => {
    const big = await serve((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.write(`{"x":"${"a".repeat(64 * 1024)}`);
      res.end(`${"b".repeat(64 * 1024)}"}`);
    });
    await expect(agentRequest(big, "s", "GET", "/health", undefined, 2000, 32 * 1024)).rejects.toThrow(
      /larger than/,
    );
    const html = await serve((_req, res) => res.writeHead(200, { "content-type": "text/html" }).end("<h1>"));
    await expect(agentRequest(html, "s", "GET", "/health", undefined, 2000)).rejects.toThrow(/not JSON/);
  });

  test("a body in the wrong shape is refused, never cast", async () => {
    const odd = await serve((_req, res) =>
      res.writeHead(200, { "content-type": "application/json" }).end('{"capabilities":"all","audit":null}'),
    );
    await expect(agentHealth(odd, "s", 2000)).rejects.toThrow(
      /the device agent answered in an unexpected shape \(GET \/health: capabilities/,
    );
  });
});
