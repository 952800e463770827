import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { agentSelfVerifyFailure, toAuditVerdict, withRetries } from "../../../health/probes";

const settings = { timeoutMs: 2000, retries: 2 };

describe("probe retries and their words", () => {
  test("a success on a later try says which try; each failure is tried again up to retries + 1", async () => {
    let n = 0;
    expect(
      await withRetries(settings, () =>
        ++n < 3 ? Promise.reject(new Error("flaky")) : Promise.resolve("ok"),
      ),
    ).toEqual({ ok: true, value: "ok", tries: 3 });
    let m = 0;
    expect(
      await withRetries(settings, () => {
        m++;
        return Promise.reject(new Error(`failure ${m}`));
      }),
    ).toEqual({ ok: false, error: "failure 3", tries: 3 });
    expect(m).toBe(3);
    expect(await withRetries({ timeoutMs: 1, retries: 0 }, () => Promise.resolve(1))).toEqual({
      ok: true,
      value: 1,
      tries: 1,
    });
  });

  const failWith = async (error: unknown) =>
    (await withRetries({ timeoutMs: 2500, retries: 0 }, () => {
      throw error; // as a rejected fetch would, whatever it rejects with
    })) as { error: string };

  test("timeouts and aborts are 'no answer within N s'", async () => {
    const timeout = Object.assign(new Error("The operation was aborted due to timeout"), {
      name: "TimeoutError",
    });
    const abort = Object.assign(new Error("This operation was aborted"), { name: "AbortError" });
    expect((await failWith(timeout)).error).toBe("no answer within 2.5 s");
    expect((await failWith(abort)).error).toBe("no answer within 2.5 s");
  });

  test("a socket error is named by its code; a refused connection in words", async () => {
    const refused = new Error("fetch failed", { cause: { code: "ECONNREFUSED" } });
    const reset = new Error("fetch failed", { cause: { code: "ECONNRESET" } });
    const odd = new Error("fetch failed", { cause: { code: 42 } });
    expect((await failWith(refused)).error).toBe("connection refused");
    expect((await failWith(reset)).error).toBe("ECONNRESET");
    expect((await failWith(odd)).error).toBe("fetch failed");
    expect((await failWith("plain words")).error).toBe("plain words");
  });

  test("an audit check becomes a verdict: ok with its count, or the first broken entry and why", () => {
    expect(toAuditVerdict({ ok: true, count: 3, head: "h" })).toEqual({ ok: true, count: 3 });
    expect(toAuditVerdict({ ok: false, firstBrokenId: 2, reason: "edited" })).toEqual({
      ok: false,
      firstBrokenId: 2,
      reason: "edited",
    });
  });
});

describe("the device's own /audit/verify", () => {
  let server: Server;
  let url: string;
  let answer: { status: number; body: unknown } = { status: 200, body: { ok: true, count: 1, head: "h" } };
  const paths: string[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      paths.push(`${req.method} ${req.url}`);
      res.writeHead(answer.status, { "content-type": "application/json" }).end(JSON.stringify(answer.body));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((r) => server.close(r)));

  test("ok is no failure; a broken chain is its first broken id and reason; anything else is an error", async () => {
    expect(await agentSelfVerifyFailure(url, "s", 2000)).toBeUndefined();
    expect(paths).toEqual(["GET /audit/verify"]);
    answer = {
      status: 200,
      body: { ok: false, firstBrokenId: 4, reason: "entry 4 does not match its hash" },
    };
    expect(await agentSelfVerifyFailure(url, "s", 2000)).toEqual({
      firstBrokenId: 4,
      reason: "entry 4 does not match its hash",
    });
    answer = { status: 503, body: { error: "busy" } };
    await expect(agentSelfVerifyFailure(url, "s", 2000)).rejects.toThrow("/audit/verify: HTTP 503");
    answer = { status: 200, body: { ok: "yes" } };
    await expect(agentSelfVerifyFailure(url, "s", 2000)).rejects.toThrow(/GET \/audit\/verify/);
  });
});
