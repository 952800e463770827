import { readFileSync } from "node:fs";
import { pipeline } from "node:stream/promises";
import {
  createServer as createHttp,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import { createServer as createHttps } from "node:https";
import type { Logger } from "../common/log";
import { errorMessage } from "../common/errors";
import type { Hello, Rendezvous } from "../provisioning/pull/rendezvous";
import { stage1Ps, stage1Sh } from "../provisioning/pull/stage1";
import { factsFromHello } from "../provisioning/pull/steps";
import { hashToken, type Enrollment, type EnrollmentStore } from "../provisioning/pull/tokens";
import { adapterFor } from "../provisioning/targets";
import { agentTarget } from "../provisioning/targets/builds";
import type { LocalAgent } from "../provisioning/targets/types";
import { compressedAgent } from "../provisioning/wg/agent-install";
import { RateLimit } from "./rate-limit";

export interface EnrollSettings {
  bind_address: string;
  port: number;
  public_url: string;
  rate_per_minute: number;
  trusted_proxies: string[];
  tls_cert_file?: string | undefined;
  tls_key_file?: string | undefined;
}

export interface EnrollServerDeps {
  settings: EnrollSettings;
  enrollments: EnrollmentStore;
  rendezvous: Rendezvous;
  localAgent: (build: string) => LocalAgent;
  /** mesh.interface: the tunnel a re-run finds its key in. */
  ifname: string;
  log: Logger;
}

/** Every refusal is one of these: they say what to do and nothing about why a given link failed. */
const NOT_VALID =
  "this enrollment link is not valid (unknown, expired, cancelled or already used) — ask the operator for a new one";
const MAX_BODY = 64 * 1024;
const PUBLIC_KEY = /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/;
const MACHINE_ID = /^[0-9a-f]{64}$/;

/**
 * The enrollment listener: GET /e/<token> serves the script (never uses the link: link
 * previews and a curious `| less` must not burn it), POST /e/<token> with the PC's public
 * key and facts uses it and waits for the install script, GET /e/<token>/agent serves the
 * agent (gzip) during that install only, POST /e/<token>/done is the PC's report.
 */
export class EnrollServer {
  private server: Server | undefined;
  private readonly limit: RateLimit;

  constructor(private readonly deps: EnrollServerDeps) {
    this.limit = new RateLimit(deps.settings.rate_per_minute);
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
    // A POST waits for the bot's answer (approve_first can take minutes).
    this.server.requestTimeout = 20 * 60_000;
    await new Promise<void>((resolve, reject) => {
      this.server!.once("error", reject);
      this.server!.listen(settings.port, settings.bind_address, () => resolve());
    });
    const address = this.server.address();
    return typeof address === "object" && address ? address.port : settings.port;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = Date.now();
    const address = this.clientAddress(req);
    const match = /^\/e\/([A-Za-z0-9_-]{1,100})(\/agent|\/done)?$/.exec((req.url ?? "").split("?")[0]!);
    const tokenTag = match ? hashToken(match[1]!).slice(0, 8) : "-";
    res.on("finish", () =>
      this.deps.log.info(
        {
          address,
          method: req.method,
          // Never the path of an unknown route: it may hold (part of) a token.
          route: match?.[2] ?? (match ? "/e" : "unknown"),
          link: tokenTag,
          status: res.statusCode,
          ms: Date.now() - started,
        },
        "enrollment request",
      ),
    );
    try {
      if (!this.limit.take(address))
        return send(res, 429, "too many requests from this address — wait a minute and try again");
      if (!match) return send(res, 404, "not found");
      const token = match[1]!;
      const row = this.deps.enrollments.find(token);
      const route = `${req.method} ${match[2] ?? ""}`;
      switch (route) {
        case "GET ":
          return this.script(res, row, token);
        case "POST ":
          return await this.hello(req, res, row, address);
        case "GET /agent":
          return await this.agent(res, row);
        case "POST /done":
          return await this.done(req, res, row);
        default:
          return send(res, 405, "method not allowed");
      }
    } catch (error) {
      this.deps.log.warn({ address, err: errorMessage(error) }, "enrollment request failed");
      if (!res.headersSent) send(res, 500, "the hub could not answer — try again in a minute");
      else res.destroy();
    }
  }

  private script(res: ServerResponse, row: Enrollment | undefined, token: string): void {
    // 200, not 404: `curl -f … | sudo sh` would drop a 404's body and sh would exit 0 on
    // nothing; this way the PC's terminal shows the sentence and the command fails.
    // A used link still serves the script: its POST tells the machine that used it apart.
    const servable =
      row &&
      (row.status === "used" ||
        (this.deps.enrollments.isLive(row) && this.deps.rendezvous.isOpen(row.token_hash)));
    if (!row || !servable) return send(res, 200, `echo 'meshpilot: ${NOT_VALID}'; exit 1`); // sh and PowerShell alike
    const url = `${this.deps.settings.public_url}/e/${token}`;
    const agentSha256 = this.deps.localAgent(agentTarget(row.os, row.arch)).sha256;
    const tunnelConfig = adapterFor(row.os, row.arch)?.tunnelConfigPath(this.deps.ifname) ?? "";
    const stage = { url, name: row.name, os: row.os, arch: row.arch, agentSha256, tunnelConfig };
    send(res, 200, row.os === "windows" ? stage1Ps(stage) : stage1Sh(stage));
  }

  private async hello(
    req: IncomingMessage,
    res: ServerResponse,
    row: Enrollment | undefined,
    address: string,
  ): Promise<void> {
    const form = await readForm(req);
    if (!form) return send(res, 400, "the request is not a form of at most 64 KB");
    const publicKey = form.get("public_key") ?? "";
    const machineId = form.get("machine_id") ?? "";
    if (!row) return send(res, 404, NOT_VALID);
    if (row.status === "used") {
      const same = row.machine_id === machineId && row.public_key === publicKey;
      return send(
        res,
        409,
        same
          ? `this link was already used; ask for a new one with !add-pc ${row.name} --via pull`
          : NOT_VALID,
      );
    }
    if (!this.deps.enrollments.isLive(row) || !this.deps.rendezvous.isOpen(row.token_hash))
      return send(res, 410, NOT_VALID);
    const facts = factsFromHello(form.get("facts") ?? "");
    if (!PUBLIC_KEY.test(publicKey) || !MACHINE_ID.test(machineId) || !facts)
      return send(
        res,
        400,
        "the PC's public key, machine id or facts are missing or malformed — run the command from the link unchanged",
      );
    if (!this.deps.enrollments.claim(row.token_hash, { machineId, publicKey, address }))
      return send(res, 410, NOT_VALID);
    const hello: Hello = { publicKey, machineId, facts, address };
    const answer = this.deps.rendezvous.arrive(row.token_hash, hello);
    if (!answer) return send(res, 410, NOT_VALID);
    const result = await answer;
    if (result.ok) send(res, 200, result.script);
    else send(res, 403, result.sentence);
  }

  private async agent(res: ServerResponse, row: Enrollment | undefined): Promise<void> {
    const build = row && this.deps.rendezvous.agentBuild(row.token_hash);
    if (!build) return send(res, 404, NOT_VALID);
    // The same cached gzip push sends over SSH (made once per build, never per PC).
    const gz = await compressedAgent(this.deps.localAgent(build));
    res.writeHead(200, {
      "content-type": "application/gzip",
      "content-length": String(gz.bytes),
      "cache-control": "no-store",
    });
    await pipeline(gz.open(), res);
  }

  private async done(req: IncomingMessage, res: ServerResponse, row: Enrollment | undefined): Promise<void> {
    const form = await readForm(req);
    if (!row || !form) return send(res, 404, NOT_VALID);
    const ok = form.get("ok") === "yes";
    const detail = (form.get("detail") ?? "").replace(/[^\x20-\x7e]/g, "?").slice(0, 300);
    if (!this.deps.rendezvous.report(row.token_hash, { ok, detail })) return send(res, 404, NOT_VALID);
    send(res, 200, "ok");
  }

  private clientAddress(req: IncomingMessage): string {
    const remote = req.socket.remoteAddress ?? "?";
    const forwarded = req.headers["x-forwarded-for"];
    if (typeof forwarded === "string" && this.deps.settings.trusted_proxies.includes(remote))
      return forwarded.split(",").at(-1)!.trim() || remote;
    return remote;
  }
}

function send(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" });
  res.end(text.endsWith("\n") ? text : `${text}\n`);
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) return undefined;
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
}
