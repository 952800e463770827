import { createServer, request } from "node:http";
import type { AddressInfo } from "node:net";
import { Appservice, MemoryStorageProvider } from "matrix-bot-sdk";
import { capAppserviceBodies } from "../../../bot/body-limit";
import { buildRegistration } from "../../../bot/registration";
import { parseConfig } from "../../../config/load";

const { config } = parseConfig(
  `
homeserver: {url: "http://127.0.0.1:9", server_name: "example.org"}
appservice: {url: "http://bot:9000", as_token_file: a, hs_token_file: h}
operators: ["@you:example.org"]
state_dir: /tmp/x
`,
  "/etc/x.yaml",
);

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
  const { port } = probe.address() as AddressInfo;
  await new Promise((r) => probe.close(r));
  return port;
}

function put(port: number, headers: Record<string, string>, body: Buffer | undefined) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request(
      { host: "127.0.0.1", port, method: "PUT", path: "/_matrix/app/v1/transactions/1", headers },
      (res) => {
        let text = "";
        res.on("data", (chunk: Buffer) => (text += chunk.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on("error", reject);
    if (body) req.write(body);
    req.end();
  });
}

/** The appservice listener, a real matrix-bot-sdk Appservice on 127.0.0.1, refuses big bodies unread. */
describe("the appservice listener", () => {
  let appservice: Appservice;
  let port: number;

  beforeAll(async () => {
    port = await freePort();
    const storage = new MemoryStorageProvider();
    storage.addRegisteredUser("@meshpilot:example.org");
    appservice = new Appservice({
      homeserverName: "example.org",
      homeserverUrl: "http://127.0.0.1:9",
      bindAddress: "127.0.0.1",
      port,
      registration: buildRegistration(config, { asToken: "AS", hsToken: "HS" }),
      storage,
      intentOptions: { encryption: false },
    });
    capAppserviceBodies(appservice, 64 * 1024);
    await appservice.begin();
  });
  afterAll(() => appservice.stop());

  test("a body over the cap is refused with 413 before it is parsed", async () => {
    const reply = await put(
      port,
      {
        authorization: "Bearer HS",
        "content-type": "application/json",
        "content-length": String(5 * 1024 * 1024),
      },
      Buffer.from('{"events":['),
    );
    expect(reply.status).toBe(413);
    expect(JSON.parse(reply.body)).toMatchObject({ errcode: "M_TOO_LARGE" });
  });

  test("a chunked body without a length is refused with 411", async () => {
    const reply = await put(
      port,
      { authorization: "Bearer HS", "content-type": "application/json", "transfer-encoding": "chunked" },
      Buffer.from('{"events":[]}'),
    );
    expect(reply.status).toBe(411);
  });

  test("a transaction under the cap reaches the SDK", async () => {
    const body = Buffer.from(JSON.stringify({ events: [] }));
    const reply = await put(
      port,
      {
        authorization: "Bearer HS",
        "content-type": "application/json",
        "content-length": String(body.length),
      },
      body,
    );
    expect(reply.status).toBe(200);
  });
});
