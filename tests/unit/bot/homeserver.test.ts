import { createServer } from "node:net";
import { waitForHomeserver } from "../../../bot/homeserver";
import { memoryLogger } from "../support/fakes";

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  await new Promise((r) => server.close(r));
  return port;
}

describe("waiting for the homeserver", () => {
  test("retries with doubling backoff, logs why, and gives up with a sentence naming the URL", async () => {
    const port = await closedPort();
    const { log, lines } = memoryLogger();
    const delays: number[] = [];
    const url = `http://127.0.0.1:${port}`;
    let fakeNow = Date.now();
    const realNow = Date.now;
    Date.now = () => fakeNow;
    try {
      await expect(
        waitForHomeserver(url, 20, log, (ms) => {
          delays.push(ms);
          fakeNow += ms;
          return Promise.resolve();
        }),
      ).rejects.toThrow(
        `homeserver ${url} is not reachable (ECONNREFUSED) after 15 s — check homeserver.url`,
      );
    } finally {
      Date.now = realNow;
    }
    expect(delays).toEqual([1000, 2000, 4000, 8000]);
    expect(lines().filter((l) => l.level === 40)[0]!.msg).toBe(
      `homeserver ${url} not reachable (ECONNREFUSED); retrying in 1 s`,
    );
  });
});
