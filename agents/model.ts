import Anthropic, {
  AnthropicError,
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
} from "@anthropic-ai/sdk";
import type { ToolDefinition } from "../capabilities/registry";
import { errorCode } from "../common/errors";
import type { AgentBlock, AgentMessage } from "./messages";
import { streamMessage, StreamStalled } from "./stream-request";

export interface ModelSettings {
  model: string;
  apiKey: string;
  baseUrl: string;
  maxTokens: number;
  timeoutMs: number;
  retries: number;
  retryBaseMs: number;
}

export interface ModelRequest {
  system: string;
  messages: readonly AgentMessage[];
  tools: readonly ToolDefinition[];
}

export interface ModelReply {
  /** Text and tool calls; other block kinds (thinking…) are not kept. */
  content: Array<Exclude<AgentBlock, { type: "tool_result" }>>;
  stopReason: string;
  /** Tokens the API counted for this reply (its `usage`); absent when the reply had none. */
  usage?: { inputTokens: number; outputTokens: number };
}

/** Optional: the reply's text piece by piece as it is written (streamed answers). */
export interface ModelHooks {
  onText?(delta: string): void;
}

export interface Model {
  create(request: ModelRequest, hooks?: ModelHooks): Promise<ModelReply>;
}

export type ModelFailure =
  | "unreachable"
  | "timeout"
  | "auth"
  | "forbidden"
  | "rate_limited"
  | "overloaded"
  | "server"
  | "rejected"
  /** Refused before any request: the room's or the fleet's daily token limit is reached. */
  | "budget";

const RETRIED: ReadonlySet<ModelFailure> = new Set([
  "unreachable",
  "timeout",
  "rate_limited",
  "overloaded",
  "server",
]);
const MAX_RETRY_AFTER_MS = 60_000;

/** A model request that failed for good; `sentence` is safe to show the operator. */
export class ModelError extends Error {
  constructor(
    readonly kind: ModelFailure,
    readonly sentence: string,
    readonly attempts: number,
    readonly status?: number,
  ) {
    super(sentence);
    this.name = "ModelError";
  }
}

/**
 * The Messages API through @anthropic-ai/sdk, streamed (`messages.stream`), with our own
 * retries (the SDK's are off) so that what is retried, how long we wait and what the operator
 * reads are decided here: connection errors, timeouts, 429, 5xx and 529 are retried with
 * exponential backoff (retry-after honoured); 401, 403 and other 4xx are not. A stream that
 * breaks after some of its text was handed to `onText` is not retried: the operator has read
 * that text, and a second attempt would write a different answer under it.
 */
export class AnthropicModel implements Model {
  private readonly client: Anthropic;

  constructor(
    private readonly settings: ModelSettings,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {
    this.client = new Anthropic({
      apiKey: settings.apiKey,
      baseURL: settings.baseUrl,
      maxRetries: 0,
      timeout: settings.timeoutMs,
    });
  }

  async create(request: ModelRequest, hooks: ModelHooks = {}): Promise<ModelReply> {
    for (let attempt = 1; ; attempt++) {
      let wrote = false;
      try {
        const message = await streamMessage(
          this.client,
          {
            model: this.settings.model,
            max_tokens: this.settings.maxTokens,
            system: request.system,
            messages: request.messages as AgentMessage[],
            tools: request.tools as ToolDefinition[],
          },
          {
            idleMs: this.settings.timeoutMs,
            onText: (delta) => {
              wrote = true;
              hooks.onText?.(delta);
            },
          },
        );
        const content: ModelReply["content"] = [];
        for (const block of message.content) {
          if (block.type === "text") content.push({ type: "text", text: block.text });
          else if (block.type === "tool_use")
            content.push({
              type: "tool_use",
              id: block.id,
              name: block.name,
              input: (block.input ?? {}) as Record<string, unknown>,
            });
        }
        return {
          content,
          stopReason: message.stop_reason ?? "end_turn",
          ...usageOf(message.usage),
        };
      } catch (error) {
        const failure = classify(error, this.settings, wrote);
        if (wrote || !RETRIED.has(failure.kind) || attempt > this.settings.retries) {
          throw new ModelError(failure.kind, failure.sentence, attempt, failure.status);
        }
        await this.sleep(this.backoff(attempt, failure.retryAfterMs));
      }
    }
  }

  private backoff(attempt: number, retryAfterMs: number | undefined): number {
    if (retryAfterMs !== undefined) return Math.min(retryAfterMs, MAX_RETRY_AFTER_MS);
    const base = this.settings.retryBaseMs * 2 ** (attempt - 1);
    return Math.round(base * (0.8 + Math.random() * 0.4));
  }
}

/** The reply's usage numbers as the API sent them; nothing when they are missing or malformed. */
export function usageOf(usage: unknown): Pick<ModelReply, "usage"> {
  const u = (typeof usage === "object" && usage !== null ? usage : {}) as Record<string, unknown>;
  const input = u.input_tokens;
  const output = u.output_tokens;
  if (typeof input !== "number" || typeof output !== "number") return {};
  if (!Number.isFinite(input) || !Number.isFinite(output) || input < 0 || output < 0) return {};
  return { usage: { inputTokens: input, outputTokens: output } };
}

interface Classified {
  kind: ModelFailure;
  sentence: string;
  status?: number;
  retryAfterMs?: number;
}

export function classify(
  error: unknown,
  settings: Pick<ModelSettings, "baseUrl" | "timeoutMs">,
  midAnswer = false,
): Classified {
  const seconds = settings.timeoutMs / 1000;
  if (error instanceof StreamStalled) {
    return {
      kind: "timeout",
      sentence: midAnswer
        ? `the model API stopped sending its answer for ${seconds} s, so it was cut off`
        : `the model API did not answer within ${seconds} s`,
    };
  }
  if (error instanceof APIConnectionTimeoutError) {
    return {
      kind: "timeout",
      sentence: `the model API did not answer within ${seconds} s`,
    };
  }
  if (error instanceof APIConnectionError) {
    const cause = (error as { cause?: unknown }).cause;
    return {
      kind: "unreachable",
      sentence: `the model API at ${settings.baseUrl} cannot be reached (${rootCause(cause ?? error)})`,
    };
  }
  if (error instanceof APIError && typeof error.status === "number") {
    const status = error.status;
    const detail = error.apiMessage ? `: ${error.apiMessage}` : "";
    const retryAfterMs = retryAfter(error.headers as Headers | undefined);
    const withRetry = (c: Classified): Classified =>
      retryAfterMs !== undefined ? { ...c, retryAfterMs } : c;
    if (status === 401)
      return {
        kind: "auth",
        status,
        sentence: "the model API rejected the API key (401) — check llm.api_key_file",
      };
    if (status === 403)
      return { kind: "forbidden", status, sentence: `the model API refused access (403${detail})` };
    if (status === 429)
      return withRetry({
        kind: "rate_limited",
        status,
        sentence: "the model API is rate-limiting requests (429)",
      });
    if (status === 529 || error.type === "overloaded_error")
      return withRetry({ kind: "overloaded", status, sentence: `the model API is overloaded (${status})` });
    if (status === 408)
      return { kind: "timeout", status, sentence: "the model API timed out the request (408)" };
    if (status >= 500)
      return withRetry({
        kind: "server",
        status,
        sentence: `the model API failed (HTTP ${status}${detail})`,
      });
    return { kind: "rejected", status, sentence: `the model API rejected the request (${status}${detail})` };
  }
  if (error instanceof APIError) return streamError(error, midAnswer);
  // The connection broke after the response began (the SDK wraps fetch's "terminated").
  if (error instanceof AnthropicError) {
    return {
      kind: "unreachable",
      sentence: `the connection to the model API at ${settings.baseUrl} broke off${midAnswer ? " in the middle of its answer" : ""} (${rootCause(error)})`,
    };
  }
  throw error;
}

/** An `error` event inside the stream (no HTTP status): its error type says which failure. */
function streamError(error: { type?: unknown }, midAnswer: boolean): Classified {
  const where = midAnswer ? " in the middle of its answer" : "";
  const type = typeof error.type === "string" ? error.type : "error";
  if (type === "overloaded_error")
    return { kind: "overloaded", sentence: `the model API is overloaded (it said so${where})` };
  if (type === "rate_limit_error")
    return { kind: "rate_limited", sentence: `the model API is rate-limiting requests (it said so${where})` };
  return { kind: "server", sentence: `the model API failed${where} (${type})` };
}

function rootCause(error: unknown): string {
  let current: unknown = error;
  for (let depth = 0; depth < 5; depth++) {
    const next = (current as { cause?: unknown } | undefined)?.cause;
    if (!next) break;
    current = next;
  }
  return errorCode(current);
}

function retryAfter(headers: Headers | undefined): number | undefined {
  const ms = Number(headers?.get("retry-after-ms"));
  if (Number.isFinite(ms) && ms > 0) return ms;
  const seconds = Number(headers?.get("retry-after"));
  if (Number.isFinite(seconds) && seconds >= 0 && headers?.get("retry-after")) return seconds * 1000;
  return undefined;
}
