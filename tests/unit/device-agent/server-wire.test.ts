import type { Server } from "node:http";
import { connect, type AddressInfo, type Socket } from "node:net";
import { signRequest } from "../../../common/signing";
import { agentRequest } from "../../../capabilities/wg/agent-http";
import { silentLog } from "../../../device-agent/log";
import { bodyCap, createAgentServer } from "../../../device-agent/server/http";
import { agentFixture } from "./support";

/** The wire, with real sockets: what an unauthenticated peer can cost the agent. */
const SECRET = "a-device-secret-of-at-least-32-chars!";

/** Sends raw bytes and collects what comes back until the server closes (or `ms` pass). */
function exchange(port: number, data: string, ms = 3000): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    let text = "";
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ text, closed: false });
    }, ms);
    socket.on("data", (chunk: Buffer) => (text += chunk.toString()));
    socket.on("error", () => undefined);
    socket.on("close", () => {
      clearTimeout(timer);
      resolve({ text, closed: true });
    });
    socket.write(data);
  });
}

describe("the agent's wire", () => {
  const fixture = agentFixture();
  let server: Server;
  let port: number;

  beforeAll(async () => {
    server = createAgentServer({
      secret: SECRET,
      state: fixture.state,
      log: silentLog,
      limits: { maxConnections: 4, headersTimeoutMs: 1000 },
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  test("an over-cap Content-Length gets 413 before any body is sent", async () => {
    const headers = signRequest(SECRET, { method: "POST", path: "/call", body: "x" });
    const head = [
      "POST /call HTTP/1.1",
      "Host: agent",
      "Content-Length: 100000000",
      ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
      "",
      "",
    ].join("\r\n");
    const reply = await exchange(port, head);
    expect(reply.text).toMatch(/^HTTP\/1\.1 413 /);
    expect(reply.closed).toBe(true);
  });

  test("an unsigned (or stale) request is refused from its headers, before its body is sent", async () => {
    const size = bodyCap(fixture.state.ctx.policy.limits.write_bytes) - 10;
    const unsigned = await exchange(
      port,
      `POST /call HTTP/1.1\r\nHost: agent\r\nContent-Length: ${size}\r\n\r\n`,
    );
    expect(unsigned.text).toMatch(/^HTTP\/1\.1 401 /);
    expect(unsigned.closed).toBe(true);
    const stale = signRequest(SECRET, { method: "POST", path: "/call", body: "" }, Date.now() - 120_000);
    const staleHead = Object.entries(stale).map(([k, v]) => `${k}: ${v}\r\n`);
    const staleReply = await exchange(
      port,
      `POST /call HTTP/1.1\r\nHost: agent\r\nContent-Length: ${size}\r\n${staleHead.join("")}\r\n`,
    );
    expect(staleReply.text).toMatch(/^HTTP\/1\.1 401 /);
  });

  test("idle connections are capped and timed out; the agent answers again afterwards", async () => {
    const sockets: Socket[] = [];
    const closedAt: number[] = [];
    const started = Date.now();
    for (let i = 0; i < 48; i++) {
      const socket = connect(port, "127.0.0.1");
      socket.on("error", () => undefined);
      socket.on("close", () => closedAt.push(Date.now() - started));
      sockets.push(socket);
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    // Beyond the cap, connections are dropped on accept.
    expect(closedAt.length).toBeGreaterThanOrEqual(44);
    // The ones kept, sending nothing, are dropped by the header timeout.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(closedAt.length).toBe(48);
    const health = await agentRequest(`http://127.0.0.1:${port}`, SECRET, "GET", "/health");
    expect(health.status).toBe(200);
    for (const socket of sockets) socket.destroy();
  }, 10_000);

  test("a signed body within the cap still works", async () => {
    const reply = await agentRequest(`http://127.0.0.1:${port}`, SECRET, "POST", "/call", {
      capability: "fs.write",
      args: {
        path: `${fixture.home}/big.bin`,
        content: Buffer.alloc(200_000, 1).toString("base64"),
        encoding: "base64",
      },
      caller: "@op:x",
    });
    expect(reply).toMatchObject({
      status: 200,
      body: { status: "done", result: { ok: true, bytes: 200_000 } },
    });
  });
});
