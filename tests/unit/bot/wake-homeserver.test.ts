import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import pino from "pino";
import { wakeHomeserver } from "../../../bot/wake-homeserver";

async function homeserver(status: number) {
  const seen: Array<{ url: string; auth: string | undefined; body: string }> = [];
  const server = createServer((req: IncomingMessage, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      seen.push({ url: req.url ?? "", auth: req.headers.authorization, body });
      res
        .writeHead(status, { "content-type": "application/json" })
        .end(status === 200 ? '{"duration_ms":3}' : '{"errcode":"M_FORBIDDEN"}');
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () => server.close(),
  };
}

describe("waking the homeserver after the bot starts listening", () => {
  test("asks the homeserver to ping the bot, with the as_token, so held transactions are retried now", async () => {
    const hs = await homeserver(200);
    try {
      const ok = await wakeHomeserver({
        homeserverUrl: hs.url,
        appserviceId: "mesh pilot",
        asToken: "as-secret",
        log: pino({ level: "silent" }),
      });
      expect(ok).toBe(true);
      expect(hs.seen).toHaveLength(1);
      expect(hs.seen[0]!.url).toBe("/_matrix/client/v1/appservice/mesh%20pilot/ping");
      expect(hs.seen[0]!.auth).toBe("Bearer as-secret");
      expect((JSON.parse(hs.seen[0]!.body) as { transaction_id: string }).transaction_id).toMatch(
        /^meshpilot-start-\d+$/,
      );
    } finally {
      hs.close();
    }
  });

  test("a refusal or an unreachable homeserver is logged, never thrown, and never logs the token", async () => {
    const lines: string[] = [];
    const log = pino({ level: "warn" }, { write: (l: string) => void lines.push(l) });
    const hs = await homeserver(403);
    try {
      expect(
        await wakeHomeserver({ homeserverUrl: hs.url, appserviceId: "meshpilot", asToken: "as-secret", log }),
      ).toBe(false);
    } finally {
      hs.close();
    }
    expect(
      await wakeHomeserver({
        homeserverUrl: "http://127.0.0.1:1",
        appserviceId: "meshpilot",
        asToken: "as-secret",
        log,
      }),
    ).toBe(false);
    expect(lines).toHaveLength(2);
    expect(lines.join("")).not.toContain("as-secret");
  });
});
