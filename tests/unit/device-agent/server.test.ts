/* eslint-disable @typescript-eslint/no-unsafe-assignment -- jest's asymmetric matchers (expect.any, expect.stringContaining) are typed any */
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { signRequest } from "../../../common/signing";
import { agentRequest } from "../../../capabilities/wg/agent-http";
import { silentLog } from "../../../device-agent/log";
import { createAgentServer } from "../../../device-agent/server/http";
import { agentFixture } from "./support";

const SECRET = "a-device-secret-of-at-least-32-chars!";

describe("the agent's HTTP API", () => {
  const fixture = agentFixture();
  let server: Server;
  let url: string;

  beforeAll(async () => {
    server = createAgentServer({ secret: SECRET, state: fixture.state, log: silentLog });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  test("a signed /health answers with version, uptime, capability count and audit head", async () => {
    const reply = await agentRequest(url, SECRET, "GET", "/health");
    expect(reply).toMatchObject({
      status: 200,
      body: {
        version: expect.any(String),
        uptime_s: expect.any(Number),
        capabilities: 14,
        audit: { count: expect.any(Number) },
      },
    });
  });

  test("every rejection is the same bare 401, whatever failed", async () => {
    const raw = (headers: Record<string, string>, body?: string) =>
      fetch(`${url}/call`, { method: "POST", headers, ...(body !== undefined ? { body } : {}) }).then(
        async (r) => [r.status, await r.text()],
      );
    const body = JSON.stringify({ capability: "proc.list", args: {}, caller: "@op:x" });
    const signed = signRequest(SECRET, { method: "POST", path: "/call", body });
    const expected = [401, '{"error":"unauthorized"}'];
    expect(await raw({})).toEqual(expected);
    expect(
      await raw(
        signRequest("wrong-secret-wrong-secret-wrong-secret", { method: "POST", path: "/call", body }),
        body,
      ),
    ).toEqual(expected);
    expect(await raw(signed, body.replace("proc.list", "shell.eval"))).toEqual(expected);
    expect(
      await raw(signRequest(SECRET, { method: "POST", path: "/call", body }, Date.now() - 61_000), body),
    ).toEqual(expected);
    expect((await raw(signed, body))[0]).toBe(200);
    expect(await raw(signed, body)).toEqual(expected); // replayed
  });

  test("calls, refusals and the audit endpoints", async () => {
    const list = await agentRequest(url, SECRET, "POST", "/call", {
      capability: "fs.list",
      args: { path: fixture.home },
      caller: "@op:x",
    });
    expect(list).toMatchObject({ status: 200, body: { status: "done", result: { ok: true } } });
    const refused = await agentRequest(url, SECRET, "POST", "/call", {
      capability: "fs.read",
      args: { path: "/etc/passwd" },
      caller: "@op:x",
    });
    expect(refused).toMatchObject({
      status: 403,
      body: { status: "refused", refusal: { code: "path_not_allowed" } },
    });

    const head = await agentRequest(url, SECRET, "GET", "/audit/head");
    expect(head.body).toEqual(fixture.state.audit.head());
    const verify = await agentRequest(url, SECRET, "GET", "/audit/verify");
    expect(verify.body).toMatchObject({ ok: true });
    const page = await agentRequest(url, SECRET, "GET", "/audit/entries?after=0&limit=1");
    expect(page.body).toMatchObject({ entries: [{ id: 1 }], next_after: 1 });
    const last = await agentRequest(url, SECRET, "GET", `/audit/entries?after=1&limit=1000`);
    expect(last.body).toMatchObject({ next_after: null });
    const rows = (last.body as { entries: Array<{ refusal: string | null }> }).entries;
    expect(rows.some((row) => row.refusal?.startsWith("path_not_allowed"))).toBe(true);
  });

  test("call_ref is recorded on the call and its result, and /audit/entries returns it", async () => {
    const before = fixture.state.audit.head().count;
    const reply = await agentRequest(url, SECRET, "POST", "/call", {
      capability: "fs.list",
      args: { path: fixture.home },
      caller: "@op:x",
      call_ref: "ref_0123456789",
    });
    expect(reply).toMatchObject({ status: 200, body: { status: "done" } });
    const page = await agentRequest(url, SECRET, "GET", `/audit/entries?after=${before}&limit=10`);
    const rows = (page.body as { entries: Array<{ kind: string; ref: string | null }> }).entries;
    expect(rows.map((r) => [r.kind, r.ref])).toEqual([
      ["call", "ref_0123456789"],
      ["result", "ref_0123456789"],
    ]);
    const bad = await agentRequest(url, SECRET, "POST", "/call", {
      capability: "fs.list",
      args: { path: fixture.home },
      caller: "@op:x",
      call_ref: "no spaces allowed",
    });
    expect(bad).toMatchObject({ status: 400, body: { error: expect.stringContaining("call_ref") } });
  });

  test("a remembered head the chain no longer has is reported", async () => {
    const bogus = await agentRequest(url, SECRET, "GET", `/audit/verify?count=1&hash=${"f".repeat(64)}`);
    expect(bogus.body).toMatchObject({ ok: false, firstBrokenId: 1 });
  });

  test("the capability list carries descriptions and schemas", async () => {
    const reply = await agentRequest(url, SECRET, "GET", "/capabilities");
    const caps = (
      reply.body as { capabilities: Array<{ name: string; input_schema: unknown; needs_approval: boolean }> }
    ).capabilities;
    expect(caps).toHaveLength(14);
    expect(caps.find((c) => c.name === "shell.eval")).toMatchObject({
      needs_approval: true,
      input_schema: { type: "object" },
    });
  });
});
