import type { ServerResponse } from "node:http";

/**
 * The stand-in's answer to a request with `stream: true`: the Messages API's server-sent
 * events, in the real order — message_start (usage.input_tokens), per block
 * content_block_start / content_block_delta (text_delta or input_json_delta) /
 * content_block_stop, message_delta (stop_reason, usage.output_tokens), message_stop — so
 * the real SDK's MessageStream parses it exactly as it would the service's.
 */

export type StreamBlock =
  { type: "text"; text: string } | { type: "tool_use"; id: string; name: string; input: unknown };

/** How fast the stand-in streams: pieces of at most `chunkChars`, `delayMs` apart. */
export interface StreamPace {
  chunkChars: number;
  delayMs: number;
}

/**
 * A stream that breaks after `afterChars` characters of text (0: before any text): the
 * connection is cut (`hangup`), an SSE `error` event says overloaded (`error`), or nothing
 * more is sent while the connection stays open (`stall`). A hangup drops the connection
 * without the stream's end (no message_stop, no last chunk), as a failing proxy would.
 */
export interface BreakOff {
  afterChars: number;
  how: "hangup" | "error" | "stall";
}

export interface StreamedReply {
  id: string;
  model: string;
  content: StreamBlock[];
  stopReason: string;
  usage: { input_tokens: number; output_tokens: number };
  breakOff?: BreakOff;
}

export async function streamReply(
  res: ServerResponse,
  reply: StreamedReply,
  pace: StreamPace,
): Promise<void> {
  res.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache",
    connection: "keep-alive",
  });
  const wait = (): Promise<void> =>
    pace.delayMs > 0 ? new Promise((r) => setTimeout(r, pace.delayMs)) : Promise.resolve();
  const event = (type: string, data: Record<string, unknown>): boolean => {
    if (res.destroyed) return false;
    res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
    return true;
  };
  let textSent = 0;
  /** True when the script's break point is reached: the stream breaks as it says. */
  const breaks = (): boolean => {
    const cut = reply.breakOff;
    if (!cut || textSent < cut.afterChars) return false;
    // A moment's pause first: a stream that errors drops what the client had not read yet,
    // and a test wants the text before the break to have arrived.
    if (cut.how === "hangup") setTimeout(() => res.socket?.destroy(), 100);
    else if (cut.how === "error") {
      event("error", { error: { type: "overloaded_error", message: "Overloaded" } });
      res.end();
    }
    // "stall": the connection stays open and silent until the client gives up.
    return true;
  };
  event("message_start", {
    message: {
      id: reply.id,
      type: "message",
      role: "assistant",
      model: reply.model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { input_tokens: reply.usage.input_tokens, output_tokens: 1 },
    },
  });
  event("ping", {});
  for (const [index, block] of reply.content.entries()) {
    if (breaks()) return;
    if (block.type === "text") {
      event("content_block_start", { index, content_block: { type: "text", text: "" } });
      for (const piece of pieces(block.text, pace.chunkChars)) {
        await wait();
        if (!event("content_block_delta", { index, delta: { type: "text_delta", text: piece } })) return;
        textSent += piece.length;
        if (breaks()) return;
      }
    } else {
      event("content_block_start", {
        index,
        content_block: { type: "tool_use", id: block.id, name: block.name, input: {} },
      });
      // The input arrives as partial JSON, split like the real API splits it.
      for (const piece of pieces(JSON.stringify(block.input ?? {}), Math.max(8, pace.chunkChars))) {
        await wait();
        if (
          !event("content_block_delta", { index, delta: { type: "input_json_delta", partial_json: piece } })
        )
          return;
      }
    }
    event("content_block_stop", { index });
  }
  if (breaks()) return;
  await wait();
  event("message_delta", {
    delta: { stop_reason: reply.stopReason, stop_sequence: null },
    usage: { output_tokens: reply.usage.output_tokens },
  });
  event("message_stop", {});
  res.end();
}

/** The text in pieces of at most `size` characters (never splitting a surrogate pair). */
function pieces(text: string, size: number): string[] {
  if (!Number.isFinite(size) || text.length <= size) return [text];
  const chars = [...text];
  const out: string[] = [];
  for (let i = 0; i < chars.length; i += size) out.push(chars.slice(i, i + size).join(""));
  return out;
}
