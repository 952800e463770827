import type { AddressInfo } from "node:net";
import { Server, utils, type ParsedKey } from "ssh2";
import { connectSsh, HostKeyChangedError } from "../../../ssh/connect";
import { fingerprint } from "../../../ssh/host-keys";

/** A real ssh2 server on 127.0.0.1 that accepts any public key and does nothing else. */
async function startServer(hostKey: string): Promise<{ port: number; close: () => Promise<void> }> {
  const server = new Server({ hostKeys: [hostKey] }, (client) => {
    client.on("authentication", (ctx) => (ctx.method === "publickey" ? ctx.accept() : ctx.reject()));
    client.on("error", () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { port, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

function hostKeyFingerprint(privateKey: string): string {
  const parsed = utils.parseKey(privateKey) as ParsedKey;
  return fingerprint(parsed.getPublicSSH());
}

describe("connectSsh checks the host key against its pin", () => {
  const keyA = utils.generateKeyPairSync("ed25519").private;
  const keyB = utils.generateKeyPairSync("ed25519").private;
  const clientKey = Buffer.from(utils.generateKeyPairSync("ed25519").private);
  let server: { port: number; close: () => Promise<void> };

  beforeAll(async () => {
    server = await startServer(keyA);
  });
  afterAll(() => server.close());

  const connect = (expectedFingerprint: string | undefined) =>
    connectSsh({
      target: { user: "ops", host: "127.0.0.1", port: server.port },
      privateKey: clientKey,
      expectedFingerprint,
      readyTimeoutMs: 5_000,
    });

  test("the pinned key: connects and reports it", async () => {
    const { client, fingerprint: seen } = await connect(hostKeyFingerprint(keyA));
    client.end();
    expect(seen).toBe(hostKeyFingerprint(keyA));
  });

  test("first use (no pin): connects and reports the key it saw, to be pinned", async () => {
    const { client, fingerprint: seen } = await connect(undefined);
    client.end();
    expect(seen).toBe(hostKeyFingerprint(keyA));
  });

  test("a host presenting another key than the pinned one is refused, naming both", async () => {
    const pinned = hostKeyFingerprint(keyB);
    expect(pinned).not.toBe(hostKeyFingerprint(keyA));
    const outcome = await connect(pinned).then(
      ({ client }) => {
        client.end();
        return "connected";
      },
      (error: unknown) => error,
    );
    expect(outcome).toBeInstanceOf(HostKeyChangedError);
    expect(outcome).toMatchObject({ expected: pinned, seen: hostKeyFingerprint(keyA) });
    expect(String(outcome)).toMatch(/has changed .*refusing to connect/);
  });
});
