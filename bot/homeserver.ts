import type { Server } from "node:http";
import type { Appservice } from "matrix-bot-sdk";
import type { Logger } from "../common/log";
import { errorMessage } from "../common/errors";

/** The longest pause between two tries: a reboot's homeserver is noticed within this. */
const MAX_DELAY_MS = 10_000;
const FETCH_TIMEOUT_MS = 10_000;

/**
 * A start-up failure whose message is one plain sentence: what failed and what to check.
 * The CLI logs it as is and exits non-zero, so a supervisor restarts the bot.
 */
export class StartupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StartupError";
  }
}

export interface WaitOptions {
  /** Aborting (SIGTERM) ends the wait at once: the in-flight try and the pause. */
  signal?: AbortSignal;
  /** For tests: the pause between tries. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/**
 * Waits for the homeserver's client API to answer, retrying with backoff (1 s doubling
 * to 10 s) and logging each wait. Gives up after maxWaitS seconds (0 = never) with a
 * StartupError; the last try falls on the deadline. Rejects with the signal's reason
 * when aborted.
 */
export async function waitForHomeserver(
  url: string,
  maxWaitS: number,
  log: Logger,
  options: WaitOptions = {},
): Promise<void> {
  const { signal, sleep = abortableSleep } = options;
  const shownUrl = withoutCredentials(url);
  const started = Date.now();
  let delayMs = 1000;
  for (let attempt = 1; ; attempt++) {
    signal?.throwIfAborted();
    const waitedMs = Date.now() - started;
    const leftMs = maxWaitS > 0 ? maxWaitS * 1000 - waitedMs : Infinity;
    const reason = (
      await tryHomeserver(url, Math.max(1000, Math.min(FETCH_TIMEOUT_MS, leftMs)), signal)
    )?.replaceAll(url, shownUrl);
    if (reason === undefined) {
      if (attempt > 1)
        log.info({ url: shownUrl, attempt, waitedS: Math.round(waitedMs / 1000) }, "homeserver answered");
      return;
    }
    signal?.throwIfAborted();
    const nowLeftMs = maxWaitS > 0 ? maxWaitS * 1000 - (Date.now() - started) : Infinity;
    if (nowLeftMs <= 0) {
      throw new StartupError(
        `homeserver ${shownUrl} did not answer within ${maxWaitS} s (${reason}) — start the homeserver or fix homeserver.url; startup.homeserver_wait_s sets how long to wait`,
      );
    }
    const pauseMs = Math.min(delayMs, nowLeftMs);
    const nextS = Math.round(pauseMs / 100) / 10;
    log.info(
      { url: shownUrl, attempt, reason, nextTryInS: nextS },
      `waiting for the homeserver ${shownUrl} (${reason}); next try in ${nextS} s`,
    );
    await sleep(pauseMs, signal);
    delayMs = Math.min(delayMs * 2, MAX_DELAY_MS);
  }
}

/** undefined when the homeserver answered; otherwise why not (ECONNREFUSED, HTTP 502…). */
async function tryHomeserver(
  url: string,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<string | undefined> {
  const timeout = AbortSignal.timeout(timeoutMs);
  try {
    const response = await fetch(`${url}/_matrix/client/versions`, {
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    });
    await response.body?.cancel();
    return response.ok ? undefined : `HTTP ${response.status}`;
  } catch (error) {
    if (timeout.aborted) return `no answer within ${Math.round(timeoutMs / 1000)} s`;
    const cause = (error as { cause?: { code?: unknown } }).cause;
    return typeof cause?.code === "string" ? cause.code : errorMessage(error);
  }
}

function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", aborted);
    };
    const aborted = (): void => {
      done();
      const reason: unknown = signal?.reason;
      reject(reason instanceof Error ? reason : new Error(String(reason)));
    };
    const timer = setTimeout(() => {
      done();
      resolve();
    }, ms);
    signal?.addEventListener("abort", aborted, { once: true });
  });
}

/** A URL as it may be logged: any user:password in it dropped. */
function withoutCredentials(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = "";
    parsed.password = "";
    return parsed.toString().replace(/\/$/, "");
  } catch {
    return url;
  }
}

/**
 * The SDK's `begin()`, made to fail like everything else at start-up: it starts the
 * appservice listener, then registers the bot user. A listen error (port in use) is an
 * 'error' event on the server the SDK never listens to — its promise would hang (or the
 * process crash); here it rejects. Both failures become a StartupError. Call only once
 * the homeserver answers: a listener up earlier would answer the homeserver's ping for a
 * bot that is not running.
 */
export async function beginAppservice(
  appservice: Appservice,
  where: { bind_address: string; port: number },
  botUserId: string,
  log: Logger,
): Promise<void> {
  const app = appservice.expressAppInstance;
  const listen = app.listen.bind(app) as (...args: unknown[]) => Server;
  let failedToListen: (error: unknown) => void = () => undefined;
  const listenError = new Promise<never>((_resolve, reject) => (failedToListen = reject));
  let listening = false;
  app.listen = ((...args: unknown[]): Server => {
    const server = listen(...args);
    server.on("listening", () => (listening = true));
    server.on("error", (error) => {
      if (listening) log.error({ err: error }, "appservice listener error");
      else failedToListen(error);
    });
    return server;
  }) as typeof app.listen;
  const address = `${where.bind_address}:${where.port}`;
  try {
    await Promise.race([appservice.begin(), listenError]);
  } catch (error) {
    if (!listening) {
      const code = (error as { code?: unknown }).code;
      const hint = code === "EADDRINUSE" ? " — is another meshpilot (or another program) using it?" : "";
      throw new StartupError(
        `the appservice listener could not open ${address} (${typeof code === "string" ? code : errorMessage(error)})${hint}`,
      );
    }
    const refused = typeof (error as { errcode?: unknown }).errcode === "string";
    const hint = refused
      ? "check that the homeserver loaded meshpilot's registration (meshpilot registration) and was restarted"
      : "is the homeserver still running?";
    throw new StartupError(
      `could not register the bot user ${botUserId} with the homeserver (${registrationFailure(error)}) — ${hint}`,
    );
  }
}

function registrationFailure(error: unknown): string {
  const e = error as { errcode?: unknown; error?: unknown; statusCode?: unknown; code?: unknown };
  if (typeof e.errcode === "string")
    return typeof e.error === "string" ? `${e.errcode}: ${e.error}` : e.errcode;
  if (typeof e.code === "string") return e.code;
  if (typeof e.statusCode === "number") return `HTTP ${e.statusCode}`;
  return errorMessage(error);
}
