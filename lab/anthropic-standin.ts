import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { streamReply, type BreakOff, type StreamPace } from "./anthropic-standin-stream";

/**
 * A STAND-IN for the Anthropic Messages API — not the real service. Tests and benchmarks
 * point the real @anthropic-ai/sdk at it (llm.base_url) because the real API needs the
 * internet. It speaks real HTTP (POST /v1/messages), answers from a script (text,
 * tool_use blocks, or failures: 401, 429, 529, slow, hang-up), and records every request
 * it was sent so a test can check exactly what the model would have seen. A request with
 * `stream: true` is answered with the API's server-sent events (anthropic-standin-stream.ts),
 * at the pace `streamPace()` sets, and a scripted reply can break off midway (`breakOff`).
 */
export interface StandInRequest {
  headers: Record<string, string | string[] | undefined>;
  body: {
    model?: string;
    system?: string;
    max_tokens?: number;
    stream?: boolean;
    messages: Array<{ role: string; content: string | StandInBlock[] }>;
    tools?: Array<{ name: string; description?: string; input_schema?: unknown }>;
  };
}

export type StandInBlock =
  | { type: "text"; text: string }
  | { type: "tool_use"; id: string; name: string; input: unknown }
  | { type: "tool_result"; tool_use_id: string; content: unknown; is_error?: boolean };

export type Scripted =
  | {
      kind: "reply";
      content: StandInBlock[];
      stopReason?: string;
      usage?: StandInUsage;
      /** Streamed requests only: the stream breaks as this says. */
      breakOff?: BreakOff;
    }
  | { kind: "fail"; status: number; errorType: string; message: string; retryAfterS?: number }
  | { kind: "slow"; delayMs: number; then: Scripted }
  | { kind: "hangup" };

export type Responder = (request: StandInRequest) => Scripted;

/** The token counts a reply reports, as the Messages API spells them. */
export interface StandInUsage {
  input_tokens: number;
  output_tokens: number;
}

/** A scripted reply that reports exactly these token counts (for spending tests). */
export const withUsage = (scripted: Scripted, usage: StandInUsage): Scripted =>
  scripted.kind === "reply" ? { ...scripted, usage } : scripted;

/**
 * What a reply reports when the script does not say: about a token per 4 characters of the
 * request and of the reply, like the real API's counts in size (never fixed, never zero).
 */
export function estimatedUsage(request: StandInRequest, content: StandInBlock[]): StandInUsage {
  const tokens = (value: unknown): number => Math.max(1, Math.ceil(JSON.stringify(value).length / 4));
  return { input_tokens: tokens(request.body), output_tokens: tokens(content) };
}

/** A scripted reply whose stream breaks after `afterChars` characters of text (see BreakOff). */
export const breakOff = (scripted: Scripted, afterChars: number, how: BreakOff["how"]): Scripted =>
  scripted.kind === "reply" ? { ...scripted, breakOff: { afterChars, how } } : scripted;

let toolIds = 0;

export const say = (text: string): Scripted => ({ kind: "reply", content: [{ type: "text", text }] });

export const callTool = (name: string, input: Record<string, unknown>, text?: string): Scripted => ({
  kind: "reply",
  content: [
    ...(text ? [{ type: "text" as const, text }] : []),
    { type: "tool_use", id: `toolu_standin_${++toolIds}`, name, input },
  ],
  stopReason: "tool_use",
});

export const fail = (status: number, retryAfterS?: number): Scripted => {
  const errorType =
    status === 401
      ? "authentication_error"
      : status === 429
        ? "rate_limit_error"
        : status === 529
          ? "overloaded_error"
          : status >= 500
            ? "api_error"
            : "invalid_request_error";
  return {
    kind: "fail",
    status,
    errorType,
    message: `stand-in ${status}`,
    ...(retryAfterS !== undefined ? { retryAfterS } : {}),
  };
};

/** The tool results in the newest message of a request (what the tools returned). */
export function lastToolResults(request: StandInRequest): Array<{ content: string; isError: boolean }> {
  const last = request.body.messages[request.body.messages.length - 1];
  if (!last || typeof last.content === "string") return [];
  return last.content.flatMap((b) =>
    b.type === "tool_result"
      ? [
          {
            content: typeof b.content === "string" ? b.content : JSON.stringify(b.content),
            isError: b.is_error === true,
          },
        ]
      : [],
  );
}

export class AnthropicStandIn {
  readonly requests: StandInRequest[] = [];
  private readonly queue: Array<Scripted | Responder> = [];
  private fallback: Responder = () => say("(the stand-in has nothing scripted for this request)");
  /** Streamed text: each text block in one delta, at once, unless a test asks for a pace. */
  private pace: StreamPace = { chunkChars: Infinity, delayMs: 0 };

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(
    options: { host?: string; port?: number; apiKey?: string } = {},
  ): Promise<AnthropicStandIn> {
    const holder: { standIn?: AnthropicStandIn } = {};
    const server = createServer((req, res) => {
      holder.standIn?.handle(req, res, options.apiKey).catch(() => res.destroy());
    });
    await new Promise<void>((resolve) =>
      server.listen(options.port ?? 0, options.host ?? "127.0.0.1", resolve),
    );
    const { address, port } = server.address() as AddressInfo;
    const standIn = new AnthropicStandIn(server, `http://${address}:${port}`);
    holder.standIn = standIn;
    return standIn;
  }

  /** Answers for the next requests, in order; a function decides from what it was sent. */
  script(...steps: Array<Scripted | Responder>): this {
    this.queue.push(...steps);
    return this;
  }

  /** What to answer when the script is used up. */
  otherwise(responder: Responder): this {
    this.fallback = responder;
    return this;
  }

  /** How streamed replies are cut and spaced (kept across reset(); a test sets it back). */
  streamPace(pace: Partial<StreamPace>): this {
    this.pace = { chunkChars: Infinity, delayMs: 0, ...pace };
    return this;
  }

  reset(): void {
    this.queue.length = 0;
    this.requests.length = 0;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse, apiKey: string | undefined): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (req.method !== "POST" || !req.url?.startsWith("/v1/messages")) {
      return send(res, 404, {
        type: "error",
        error: { type: "not_found_error", message: "stand-in: no such route" },
      });
    }
    const request: StandInRequest = {
      headers: req.headers,
      body: JSON.parse(Buffer.concat(chunks).toString("utf8")) as StandInRequest["body"],
    };
    this.requests.push(request);
    if (apiKey !== undefined && presentedKey(req) !== apiKey) {
      return send(res, 401, {
        type: "error",
        error: { type: "authentication_error", message: "invalid x-api-key" },
      });
    }
    const step = this.queue.shift() ?? this.fallback;
    await this.answer(res, typeof step === "function" ? step(request) : step, request);
  }

  private async answer(res: ServerResponse, scripted: Scripted, request: StandInRequest): Promise<void> {
    switch (scripted.kind) {
      case "slow":
        await new Promise((r) => setTimeout(r, scripted.delayMs));
        if (res.destroyed || res.socket?.destroyed) return;
        return this.answer(res, scripted.then, request);
      case "hangup":
        res.socket?.destroy();
        return;
      case "fail":
        return send(
          res,
          scripted.status,
          { type: "error", error: { type: scripted.errorType, message: scripted.message } },
          scripted.retryAfterS !== undefined ? { "retry-after": String(scripted.retryAfterS) } : {},
        );
      case "reply":
        if (request.body.stream === true)
          return streamReply(
            res,
            {
              id: `msg_standin_${this.requests.length}`,
              model: request.body.model ?? "stand-in",
              content: scripted.content.flatMap((b) => (b.type === "tool_result" ? [] : [b])),
              stopReason: scripted.stopReason ?? "end_turn",
              usage: scripted.usage ?? estimatedUsage(request, scripted.content),
              ...(scripted.breakOff ? { breakOff: scripted.breakOff } : {}),
            },
            this.pace,
          );
        return send(res, 200, {
          id: `msg_standin_${this.requests.length}`,
          type: "message",
          role: "assistant",
          model: request.body.model ?? "stand-in",
          content: scripted.content,
          stop_reason: scripted.stopReason ?? "end_turn",
          stop_sequence: null,
          usage: scripted.usage ?? estimatedUsage(request, scripted.content),
        });
    }
  }
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** The key as the SDK sends it: `x-api-key`, or (SDK ≥ 1.x) `Authorization: Bearer`. */
function presentedKey(req: IncomingMessage): string | undefined {
  const header = req.headers["x-api-key"];
  if (typeof header === "string") return header;
  const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? "");
  return bearer?.[1];
}
