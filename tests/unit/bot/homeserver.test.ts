import { createServer, type Server } from "node:http";
import { createServer as createTcpServer } from "node:net";
import { StartupError, waitForHomeserver } from "../../../bot/homeserver";
import { memoryLogger } from "../support/fakes";

async function closedPort(): Promise<number> {
  const server = createTcpServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  await new Promise((r) => server.close(r));
  return port;
}

/** A stand-in homeserver on `port`: answers /versions with `status`, counts the tries. */
async function fakeHomeserver(
  port: number,
  status: () => number = () => 200,
): Promise<{ server: Server; tries: () => number }> {
  let tries = 0;
  const server = createServer((req, res) => {
    if (req.url === "/_matrix/client/versions") tries++;
    res.writeHead(status(), { "content-type": "application/json" }).end('{"versions":["v1.11"]}');
  });
  await new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
  return { server, tries: () => tries };
}

const close = (server: Server): Promise<void> => new Promise((r) => server.close(() => r()));

/** A clock the injected sleep moves forward, so a long wait takes no real time. */
function fakeClock(): { sleep: (ms: number) => Promise<void>; delays: number[]; restore: () => void } {
  const realNow = Date.now;
  let now = realNow();
  Date.now = () => now;
  const delays: number[] = [];
  return {
    delays,
    sleep: (ms) => {
      delays.push(ms);
      now += ms;
      return Promise.resolve();
    },
    restore: () => {
      Date.now = realNow;
    },
  };
}

describe("waiting for the homeserver", () => {
  test("retries with doubling backoff up to 10 s, logs each wait at info, and gives up on the deadline with a sentence", async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const { log, lines } = memoryLogger();
    const clock = fakeClock();
    try {
      await expect(waitForHomeserver(url, 30, log, { sleep: clock.sleep })).rejects.toThrow(
        new StartupError(
          `homeserver ${url} did not answer within 30 s (ECONNREFUSED) — start the homeserver or fix homeserver.url; startup.homeserver_wait_s sets how long to wait`,
        ),
      );
    } finally {
      clock.restore();
    }
    // The last pause is cut to the deadline, so the last try falls on it.
    expect(clock.delays).toEqual([1000, 2000, 4000, 8000, 10_000, 5000]);
    const waits = lines().filter((l) => l.msg !== undefined);
    expect(waits).toHaveLength(6);
    expect(waits.every((l) => l.level === 30 && l.url === url)).toBe(true);
    expect(waits[0]!.msg).toBe(`waiting for the homeserver ${url} (ECONNREFUSED); next try in 1 s`);
    expect(waits[5]).toMatchObject({ attempt: 6, nextTryInS: 5, reason: "ECONNREFUSED" });
  });

  test("a homeserver that refuses, then comes up after 3 tries: the wait ends on the 4th", async () => {
    const port = await closedPort();
    const url = `http://127.0.0.1:${port}`;
    const { log, lines } = memoryLogger();
    let homeserver: Awaited<ReturnType<typeof fakeHomeserver>> | undefined;
    const pauses: number[] = [];
    try {
      await waitForHomeserver(url, 0, log, {
        sleep: async (ms) => {
          pauses.push(ms);
          if (pauses.length === 3) homeserver = await fakeHomeserver(port);
        },
      });
      expect(pauses).toEqual([1000, 2000, 4000]);
      expect(homeserver?.tries()).toBe(1);
      expect(lines().at(-1)).toMatchObject({ level: 30, msg: "homeserver answered", attempt: 4 });
    } finally {
      if (homeserver) await close(homeserver.server);
    }
  });

  test("an error status is not an answer", async () => {
    const port = await closedPort();
    let status = 502;
    const homeserver = await fakeHomeserver(port, () => status);
    const { log, lines } = memoryLogger();
    try {
      await waitForHomeserver(`http://127.0.0.1:${port}`, 0, log, {
        sleep: () => {
          status = 200;
          return Promise.resolve();
        },
      });
    } finally {
      await close(homeserver.server);
    }
    expect(homeserver.tries()).toBe(2);
    expect(lines()[0]).toMatchObject({ reason: "HTTP 502", nextTryInS: 1 });
  });

  test("an abort ends the wait at once, with the signal's reason", async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const { log } = memoryLogger();
    const stop = new AbortController();
    const started = Date.now();
    const waiting = waitForHomeserver(url, 300, log, { signal: stop.signal });
    setTimeout(() => stop.abort(new Error("stopped by SIGTERM")), 100);
    await expect(waiting).rejects.toThrow("stopped by SIGTERM");
    expect(Date.now() - started).toBeLessThan(900);
  });

  test("credentials in the URL are never logged", async () => {
    const port = await closedPort();
    const { log, lines } = memoryLogger();
    const clock = fakeClock();
    try {
      await waitForHomeserver(`http://someone:s3cret@127.0.0.1:${port}`, 2, log, {
        sleep: clock.sleep,
      }).catch((error: unknown) => expect(String(error)).not.toContain("s3cret"));
    } finally {
      clock.restore();
    }
    expect(JSON.stringify(lines())).not.toContain("s3cret");
    expect(lines()[0]).toMatchObject({ url: `http://127.0.0.1:${port}` });
  });
});
