import { readFileSync } from "node:fs";
import {
  createServer as createHttp,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import { createServer as createHttps } from "node:https";
import type { Logger } from "../common/log";
import { errorMessage } from "../common/errors";
import { PANEL_CSS, PANEL_JS } from "./assets";
import type { PanelAuth } from "./auth";
import { readForm, redirect, send, TooLarge } from "./http";
import { messagePage, page } from "./pages/layout";
import { loginPage } from "./pages/login";
import { clearedCookie, cookieValue, csrfMatches, sessionCookie, type Session } from "./sessions";
import { PanelRoutes, type PanelRouteDeps } from "./routes";

export interface PanelSettings {
  bind_address: string;
  port: number;
  session_ttl_s: number;
  tls_cert_file?: string | undefined;
  tls_key_file?: string | undefined;
}

export interface PanelServerDeps extends Omit<PanelRouteDeps, "log"> {
  settings: PanelSettings;
  auth: PanelAuth;
  operators: ReadonlySet<string>;
  log: Logger;
}

const NOT_VALID =
  "This login link is not valid (unknown, expired or already used). Send !panel in the chat for a new one.";

/**
 * The panel's own listener. Without a session every page is 401; every POST needs the
 * session's CSRF token (403 without it). Logins: GET /login/<token> only shows a Continue
 * button; the POST uses the link and sets the session cookie.
 */
export class PanelServer {
  private server: Server | undefined;
  readonly routes: PanelRoutes;

  constructor(private readonly deps: PanelServerDeps) {
    this.routes = new PanelRoutes({ ...deps, log: deps.log });
  }

  async start(): Promise<number> {
    const { settings } = this.deps;
    const handler = (req: IncomingMessage, res: ServerResponse): void => void this.handle(req, res);
    this.server =
      settings.tls_cert_file && settings.tls_key_file
        ? createHttps(
            { cert: readFileSync(settings.tls_cert_file), key: readFileSync(settings.tls_key_file) },
            handler,
          )
        : createHttp(handler);
    await new Promise<void>((resolve, reject) => {
      this.server!.once("error", reject);
      this.server!.listen(settings.port, settings.bind_address, () => resolve());
    });
    const address = this.server.address();
    return typeof address === "object" && address ? address.port : settings.port;
  }

  /** A change somewhere (health verdict, a run's step): open grids diff soon. */
  poke(): void {
    this.routes.feed.poke();
  }

  async stop(): Promise<void> {
    this.routes.feed.stop();
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { log } = this.deps;
    try {
      await this.route(req, res);
    } catch (error) {
      if (error instanceof TooLarge)
        return send(res, 413, messagePage("Too large", "That form was too large."));
      log.error({ err: error, path: pathOf(req) }, `panel request failed: ${errorMessage(error)}`);
      if (!res.headersSent)
        send(res, 500, messagePage("Internal error", "Something went wrong; the bot's log has the details."));
      else res.end();
    }
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = pathOf(req);
    const method = req.method ?? "GET";
    if (method === "GET" && path === "/assets/panel.css")
      return send(res, 200, PANEL_CSS, "text/css; charset=utf-8", { "cache-control": "max-age=300" });
    if (method === "GET" && path === "/assets/panel.js")
      return send(res, 200, PANEL_JS, "text/javascript; charset=utf-8", { "cache-control": "max-age=300" });
    if (path === "/favicon.ico") return send(res, 404, "", "text/plain");
    const login = /^\/login\/([^/]+)$/.exec(path);
    if (login) return this.login(req, res, method, decodeURIComponent(login[1]!));

    const id = cookieValue(req.headers.cookie);
    const session = this.deps.auth.sessions.get(id);
    if (!session || !this.deps.operators.has(session.operator))
      return send(
        res,
        401,
        messagePage(
          "Not logged in",
          "Send !panel in the chat to the bot: it answers with a one-time login link.",
        ),
      );
    if (method === "POST") {
      const form = await readForm(req);
      const token = form.get("csrf") ?? headerOf(req, "x-csrf-token");
      if (!csrfMatches(session, token ?? undefined)) {
        this.deps.log.warn(
          { operator: session.operator, path },
          "panel POST without a valid CSRF token refused",
        );
        return send(
          res,
          403,
          messagePage(
            "Refused",
            "This request did not carry the page's token; reload the page and try again.",
          ),
        );
      }
      if (path === "/logout") {
        this.deps.auth.sessions.end(id!);
        this.deps.log.info({ operator: session.operator }, "panel logout");
        return send(res, 200, messagePage("Logged out", "You are logged out of the panel."), undefined, {
          "set-cookie": clearedCookie(this.deps.auth.secure),
        });
      }
      return this.routes.post(req, res, path, form, session);
    }
    if (method === "GET") return this.routes.get(req, res, path, session);
    return send(res, 405, messagePage("Not allowed", "That method is not used here."), undefined, {
      allow: "GET, POST",
    });
  }

  private async login(
    req: IncomingMessage,
    res: ServerResponse,
    method: string,
    token: string,
  ): Promise<void> {
    const { auth, log } = this.deps;
    if (method === "GET") {
      const seen = auth.links.peek(token);
      if (!seen.ok) return send(res, 410, messagePage("Link not valid", NOT_VALID));
      return send(res, 200, page({ title: "Log in", body: loginPage(token, seen.operator) }));
    }
    if (method !== "POST")
      return send(res, 405, messagePage("Not allowed", "Open the link and press Continue."));
    await readForm(req);
    const used = auth.links.consume(token);
    if (!used.ok || !this.deps.operators.has(used.operator)) {
      log.info({ why: used.ok ? "not an operator" : used.why }, "panel login refused");
      return send(res, 410, messagePage("Link not valid", NOT_VALID));
    }
    const { id } = auth.sessions.create(used.operator);
    log.info({ operator: used.operator }, "panel login");
    redirect(res, "/", { "set-cookie": sessionCookie(id, this.deps.settings.session_ttl_s, auth.secure) });
  }
}

export type { Session };

function pathOf(req: IncomingMessage): string {
  try {
    return new URL(req.url ?? "/", "http://panel").pathname;
  } catch {
    return "/";
  }
}

function headerOf(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return typeof value === "string" ? value : undefined;
}
