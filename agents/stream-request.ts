import type Anthropic from "@anthropic-ai/sdk";
import type { Message, MessageStreamParams } from "@anthropic-ai/sdk/resources/messages/messages";

/** The stream sent nothing for the idle limit after it started: aborted, like a timeout. */
export class StreamStalled extends Error {
  constructor(readonly afterMs: number) {
    super(`the stream sent nothing for ${afterMs} ms`);
    this.name = "StreamStalled";
  }
}

/**
 * One streamed Messages request: `onText` gets each piece of text as it arrives (a blank line
 * between two text blocks, so the pieces add up to the blocks joined as the loop joins them),
 * and the final message (content, stop_reason, usage) is what the SDK assembled from the
 * events. The SDK's own timeout ends at the response headers, so a stream that goes silent
 * for `idleMs` after that is aborted here and rejected with StreamStalled.
 */
export async function streamMessage(
  client: Anthropic,
  params: MessageStreamParams,
  options: { idleMs: number; onText: (delta: string) => void },
): Promise<Message> {
  const stream = client.messages.stream(params);
  let idle: NodeJS.Timeout | undefined;
  let stalled = false;
  const arm = (): void => {
    clearTimeout(idle);
    idle = setTimeout(() => {
      stalled = true;
      stream.abort();
    }, options.idleMs);
  };
  let textBlocks = 0;
  stream.on("connect", arm);
  stream.on("streamEvent", (event) => {
    arm();
    if (event.type === "content_block_start" && event.content_block.type === "text" && textBlocks++ > 0)
      emit(options.onText, "\n\n");
  });
  stream.on("text", (delta) => emit(options.onText, delta));
  try {
    return await stream.finalMessage();
  } catch (error) {
    if (stalled) throw new StreamStalled(options.idleMs);
    throw error;
  } finally {
    clearTimeout(idle);
  }
}

/** A listener that throws must not look like a broken connection to the SDK: it is contained. */
function emit(onText: (delta: string) => void, delta: string): void {
  if (!delta) return;
  try {
    onText(delta);
  } catch {
    // The room's copy is best effort; the final message still carries the whole text.
  }
}
