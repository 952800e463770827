import { errorCode } from "../../common/errors";
import { VoiceRefusal } from "./audio";

/**
 * A client of the OpenAI-compatible `POST /v1/audio/transcriptions` — the API that
 * whisper.cpp's server, faster-whisper servers, LocalAI and OpenAI share: a
 * multipart/form-data body with `file` and `model` (plus optional `language` and
 * `response_format`), answered by `{"text": "…"}`.
 */
export interface SttOptions {
  /** The full endpoint, e.g. http://127.0.0.1:8080/v1/audio/transcriptions. */
  url: string;
  model: string;
  language?: string;
  apiKey?: string;
  timeoutMs: number;
}

export interface AudioUpload {
  data: Uint8Array;
  /** What the file is sent as: `voice.ogg` / `audio/ogg`, or `voice.wav` / `audio/wav`. */
  filename: string;
  contentType: string;
}

/** The form the endpoint expects. `response_format: json` is what every server implements. */
export function transcriptionForm(
  audio: AudioUpload,
  options: Pick<SttOptions, "model" | "language">,
): FormData {
  const form = new FormData();
  form.append("file", new Blob([audio.data], { type: audio.contentType }), audio.filename);
  form.append("model", options.model);
  if (options.language) form.append("language", options.language);
  form.append("response_format", "json");
  return form;
}

/** Sends the audio; resolves with the transcript, trimmed (possibly empty). Failures are sentences. */
export async function transcribe(options: SttOptions, audio: AudioUpload): Promise<string> {
  const where = endpointName(options.url);
  let response: Response;
  try {
    response = await fetch(options.url, {
      method: "POST",
      body: transcriptionForm(audio, options),
      headers: options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {},
      signal: AbortSignal.timeout(options.timeoutMs),
    });
  } catch (error) {
    throw failureOf(error, where, options.timeoutMs);
  }
  let text: string;
  try {
    text = await response.text();
  } catch (error) {
    throw failureOf(error, where, options.timeoutMs);
  }
  if (response.status === 401 || response.status === 403) {
    throw new VoiceRefusal(
      `the speech-to-text service at ${where} refused the API key (HTTP ${response.status}) — ` +
        "check stt.api_key_file or MESHPILOT_STT_API_KEY",
    );
  }
  if (!response.ok) {
    const detail = serverMessage(text);
    throw new VoiceRefusal(
      `the speech-to-text service at ${where} answered HTTP ${response.status}` +
        `${detail ? ` (${detail})` : ""} — its log says more; type the command meanwhile`,
    );
  }
  return transcriptOf(text, where);
}

/** `{"text": …}` for response_format json; a bare string from servers that ignore the format. */
function transcriptOf(body: string, where: string): string {
  const trimmed = body.trim();
  if (!trimmed.startsWith("{")) return cleanTranscript(trimmed);
  let parsed: unknown;
  try {
    parsed = JSON.parse(trimmed);
  } catch {
    throw new VoiceRefusal(`the speech-to-text service at ${where} answered something that is not JSON`);
  }
  const value = (parsed as { text?: unknown }).text;
  if (typeof value !== "string") {
    throw new VoiceRefusal(`the speech-to-text service at ${where} answered without a "text" field`);
  }
  return cleanTranscript(value);
}

/**
 * Whisper marks silence and noise with bracketed tags ("[BLANK_AUDIO]", "(wind blowing)");
 * a transcript that is only such tags heard nothing.
 */
export function cleanTranscript(text: string): string {
  const withoutTags = text.replace(/\[[^\]]*\]|\([^)]*\)/g, " ").trim();
  return withoutTags.length === 0 ? "" : text.replace(/\s+/g, " ").trim();
}

function failureOf(error: unknown, where: string, timeoutMs: number): VoiceRefusal {
  if (error instanceof DOMException && (error.name === "TimeoutError" || error.name === "AbortError")) {
    return new VoiceRefusal(
      `the speech-to-text service at ${where} did not answer within ${Math.round(timeoutMs / 1000)} s ` +
        "(stt.timeout_s) — try again, or type the command",
    );
  }
  const cause = (error as { cause?: unknown } | undefined)?.cause;
  return new VoiceRefusal(
    `the speech-to-text service at ${where} is unreachable (${errorCode(cause ?? error)}) — ` +
      "is it running? Type the command meanwhile",
  );
}

/** OpenAI's `{"error": {"message"}}`, whisper.cpp's `{"error": "…"}`, or a short plain body. */
function serverMessage(body: string): string {
  let message: unknown = body;
  try {
    const parsed = JSON.parse(body) as { error?: unknown; detail?: unknown };
    const error = parsed.error ?? parsed.detail;
    message = typeof error === "object" && error !== null ? (error as { message?: unknown }).message : error;
  } catch {
    // not JSON: the body itself
  }
  if (typeof message !== "string") return "";
  const line = message.replace(/\s+/g, " ").trim();
  return line.length > 120 ? `${line.slice(0, 117)}…` : line;
}

/** Scheme, host and port only: the path is noise to the operator and a query may hold a key. */
function endpointName(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
