import { errorCode } from "../../common/errors";
import { VoiceRefusal, tooBig } from "./audio";

/**
 * Downloads from the homeserver's media repository through authenticated media
 * (`/_matrix/client/v1/media/download`, MSC3916), which Synapse enforces. The legacy
 * unauthenticated endpoint is tried only when the homeserver does not know the new one.
 * matrix-bot-sdk's `downloadContent()` uses the same endpoint but buffers the whole body
 * first; this reads the stream and stops at the cap, so a 1 GB "voice message" costs the
 * bot `maxBytes` and no more. URLs are built from the mxc parts here — never mxcToHttp().
 */
export interface MediaSource {
  homeserverUrl: string;
  accessToken: string;
  timeoutMs: number;
}

export function parseMxc(mxc: string): { server: string; mediaId: string } {
  const match = /^mxc:\/\/([^/]+)\/([^/?#]+)$/.exec(mxc);
  if (!match) throw new VoiceRefusal(`the voice message points at ${mxc}, which is not a media URI`);
  return { server: match[1]!, mediaId: match[2]! };
}

export async function downloadMedia(source: MediaSource, mxc: string, maxBytes: number): Promise<Buffer> {
  const { server, mediaId } = parseMxc(mxc);
  const tail = `${encodeURIComponent(server)}/${encodeURIComponent(mediaId)}`;
  const authenticated = `${source.homeserverUrl}/_matrix/client/v1/media/download/${tail}`;
  let response = await get(source, authenticated);
  if (await lacksEndpoint(response)) {
    response = await get(source, `${source.homeserverUrl}/_matrix/media/v3/download/${tail}`);
  }
  if (!response.ok) {
    const why = await matrixError(response);
    throw new VoiceRefusal(
      `the homeserver would not give me the voice message (HTTP ${response.status}${why})`,
    );
  }
  const declared = Number(response.headers.get("content-length") ?? NaN);
  if (declared > maxBytes) {
    await response.body?.cancel();
    throw tooBig(maxBytes, declared);
  }
  return readCapped(response, maxBytes);
}

async function get(source: MediaSource, url: string): Promise<Response> {
  try {
    return await fetch(url, {
      headers: { authorization: `Bearer ${source.accessToken}` },
      signal: AbortSignal.timeout(source.timeoutMs),
    });
  } catch (error) {
    throw new VoiceRefusal(`could not download the voice message from the homeserver (${why(error)})`);
  }
}

/**
 * A homeserver older than Matrix 1.11 answers an unknown endpoint with 404/405
 * M_UNRECOGNIZED (or a bare 404 without JSON); a missing file is 404 M_NOT_FOUND.
 */
async function lacksEndpoint(response: Response): Promise<boolean> {
  if (response.status !== 404 && response.status !== 405) return false;
  const body = await response
    .clone()
    .json()
    .catch(() => undefined);
  const errcode = (body as { errcode?: unknown } | undefined)?.errcode;
  if (errcode === "M_UNRECOGNIZED" || errcode === undefined) {
    await response.body?.cancel();
    return true;
  }
  return false;
}

async function readCapped(response: Response, maxBytes: number): Promise<Buffer> {
  const reader: ReadableStreamDefaultReader<Uint8Array> | undefined = response.body?.getReader();
  if (!reader) return Buffer.alloc(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) {
        await reader.cancel();
        throw tooBig(maxBytes);
      }
      chunks.push(value);
    }
  } catch (error) {
    if (error instanceof VoiceRefusal) throw error;
    throw new VoiceRefusal(`the download of the voice message broke off (${why(error)})`);
  }
  return Buffer.concat(chunks);
}

async function matrixError(response: Response): Promise<string> {
  const body = (await response.json().catch(() => undefined)) as { errcode?: unknown } | undefined;
  return typeof body?.errcode === "string" ? ` ${body.errcode}` : "";
}

function why(error: unknown): string {
  if (error instanceof DOMException && error.name === "TimeoutError") return "timed out";
  const cause = (error as { cause?: unknown } | undefined)?.cause;
  return errorCode(cause ?? error);
}
