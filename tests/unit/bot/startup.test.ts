import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { connect, createServer as createTcpServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startBot } from "../../../bot/app";
import { StartupError } from "../../../bot/homeserver";
import { parseConfig } from "../../../config/load";
import { memoryLogger } from "../support/fakes";

async function freePort(): Promise<number> {
  const probe = createTcpServer();
  await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
  const { port } = probe.address() as { port: number };
  await new Promise((r) => probe.close(r));
  return port;
}

/** "open" when something accepts a connection on the port, else the error code. */
function probe(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve("open");
    });
    socket.once("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

async function until(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * A stand-in homeserver: answers the wait's /versions, and refuses to register the bot
 * user the way Synapse does for an unknown as_token. `onRegister` runs before it answers.
 */
async function fakeHomeserver(port: number, onRegister: () => Promise<void> = () => Promise.resolve()) {
  const paths: string[] = [];
  const server = createServer((req, res) => {
    paths.push(`${req.method} ${req.url?.split("?")[0]}`);
    const json = (status: number, body: object): void => {
      res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
    };
    if (req.url?.startsWith("/_matrix/client/versions")) return json(200, { versions: ["v1.11"] });
    if (req.url?.startsWith("/_matrix/client/v3/register")) {
      void onRegister().then(() =>
        json(401, { errcode: "M_UNKNOWN_TOKEN", error: "Invalid application service token" }),
      );
      return;
    }
    json(404, { errcode: "M_UNRECOGNIZED", error: "not here" });
  });
  await new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
  return { server, paths };
}

const close = (server: Server): Promise<void> =>
  new Promise((r) => {
    server.closeAllConnections();
    server.close(() => r());
  });

describe("the start sequence", () => {
  let stateDir: string;
  let hsPort: number;
  let asPort: number;
  const servers: Server[] = [];

  beforeEach(async () => {
    stateDir = mkdtempSync(join(tmpdir(), "meshpilot-startup-"));
    hsPort = await freePort();
    asPort = await freePort();
  });
  afterEach(async () => {
    await Promise.all(servers.splice(0).map(close));
    rmSync(stateDir, { recursive: true, force: true });
  });

  function config(waitS: number) {
    return parseConfig(
      `
homeserver: {url: "http://127.0.0.1:${hsPort}", server_name: "example.org"}
appservice: {url: "http://127.0.0.1:${asPort}", as_token_file: a, hs_token_file: h, bind_address: 127.0.0.1, port: ${asPort}}
operators: ["@you:example.org"]
state_dir: ${stateDir}
startup: {homeserver_wait_s: ${waitS}}
`,
      "/etc/x.yaml",
    ).config;
  }
  const secrets = { asToken: "AS-TOKEN-SECRET", hsToken: "HS-TOKEN-SECRET" };

  test("nothing listens while the homeserver is down; the listener opens once it answers, and closes when registration is refused", async () => {
    const { log, lines } = memoryLogger();
    const starting = startBot(config(60), secrets, log);
    const failed = starting.then(
      () => undefined,
      (error: unknown) => error,
    );
    await until(() => lines().some((l) => String(l.msg).startsWith("waiting for the homeserver")), "a wait");
    expect(await probe(asPort)).toBe("ECONNREFUSED");

    let duringRegistration = "";
    const homeserver = await fakeHomeserver(hsPort, async () => {
      duringRegistration = await probe(asPort);
    });
    servers.push(homeserver.server);
    const error = await failed;
    expect(error).toBeInstanceOf(StartupError);
    expect((error as Error).message).toBe(
      "could not register the bot user @meshpilot:example.org with the homeserver (M_UNKNOWN_TOKEN: Invalid application service token) — check that the homeserver loaded meshpilot's registration (meshpilot registration) and was restarted",
    );
    // Order: /versions answered, then the listener, then the registration.
    expect(homeserver.paths).toEqual(["GET /_matrix/client/versions", "POST /_matrix/client/v3/register"]);
    expect(duringRegistration).toBe("open");
    expect(await probe(asPort)).toBe("ECONNREFUSED");
    const logged = JSON.stringify(lines());
    for (const token of Object.values(secrets)) expect(logged).not.toContain(token);
  }, 15_000);

  test("a homeserver that never answers: a StartupError after homeserver_wait_s, the port never opened", async () => {
    const { log } = memoryLogger();
    const started = Date.now();
    let everOpen = false;
    const watching = setInterval(() => {
      void probe(asPort).then((state) => (everOpen ||= state === "open"));
    }, 50);
    try {
      await expect(startBot(config(2), secrets, log)).rejects.toThrow(
        /^homeserver http:\/\/127\.0\.0\.1:\d+ did not answer within 2 s \(ECONNREFUSED\)/,
      );
    } finally {
      clearInterval(watching);
    }
    expect(Date.now() - started).toBeLessThan(4000);
    expect(everOpen).toBe(false);
  });

  test("the appservice port in use: a StartupError naming it, not a hang", async () => {
    const squatter = createTcpServer();
    await new Promise<void>((r) => squatter.listen(asPort, "127.0.0.1", r));
    try {
      servers.push((await fakeHomeserver(hsPort)).server);
      const { log } = memoryLogger();
      await expect(startBot(config(60), secrets, log)).rejects.toThrow(
        new StartupError(
          `the appservice listener could not open 127.0.0.1:${asPort} (EADDRINUSE) — is another meshpilot (or another program) using it?`,
        ),
      );
    } finally {
      await new Promise((r) => squatter.close(r));
    }
  });

  test("an abort (SIGTERM) during the wait ends the start at once", async () => {
    const { log, lines } = memoryLogger();
    const stop = new AbortController();
    const starting = startBot(config(300), secrets, log, { signal: stop.signal });
    const failed = starting.then(
      () => undefined,
      (error: unknown) => error,
    );
    await until(() => lines().some((l) => String(l.msg).startsWith("waiting for the homeserver")), "a wait");
    const aborted = Date.now();
    stop.abort(new Error("stopped by SIGTERM"));
    expect(await failed).toEqual(new Error("stopped by SIGTERM"));
    expect(Date.now() - aborted).toBeLessThan(500);
    expect(await probe(asPort)).toBe("ECONNREFUSED");
  });
});
