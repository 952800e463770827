import { UserError } from "../../common/errors";
import { inspectOgg, OggError } from "./ogg";

/**
 * What a downloaded attachment is, and whether it is within the caps — decided before
 * anything is sent to the STT service. Element's voice messages are Ogg/Opus and are
 * measured from the stream itself; other audio files (m4a, mp3, wav…) are recognised by
 * their magic bytes, and their length is the declared one unless it can be read cheaply.
 */
export type Container = "ogg" | "wav" | "mp3" | "mp4" | "flac" | "webm" | "amr";

export interface AudioLimits {
  maxBytes: number;
  maxDurationMs: number;
}

export interface InspectedAudio {
  container: Container;
  /** The measured duration when the container tells it, else the declared one. */
  durationMs: number | undefined;
  measured: boolean;
}

/** Refusals the operator reads: one sentence each, with the key to change. */
export class VoiceRefusal extends UserError {}

export function tooLong(durationMs: number, maxDurationMs: number): VoiceRefusal {
  return new VoiceRefusal(
    `that voice message is ${clock(durationMs)} long and the limit is ${clock(maxDurationMs)} ` +
      "(stt.max_duration_s) — say it in a shorter one, or type it",
  );
}

/** `bytes` undefined: the download was cut off at the cap, so only "larger" is known. */
export function tooBig(maxBytes: number, bytes?: number): VoiceRefusal {
  // Just over the cap rounds to the cap itself: "1 MB and the limit of 1 MB" would read as a bug.
  const what = bytes === undefined || size(bytes) === size(maxBytes) ? "larger than" : `${size(bytes)} and`;
  return new VoiceRefusal(
    `that voice message is ${what} the limit of ${size(maxBytes)} (stt.max_bytes) — ` +
      "say it in a shorter one, or type it",
  );
}

/** The caps that can be applied from the event alone, before downloading anything. */
export function checkDeclared(
  declared: { sizeBytes?: number; durationMs?: number },
  limits: AudioLimits,
): void {
  if (declared.durationMs !== undefined && declared.durationMs > limits.maxDurationMs)
    throw tooLong(declared.durationMs, limits.maxDurationMs);
  if (declared.sizeBytes !== undefined && declared.sizeBytes > limits.maxBytes)
    throw tooBig(limits.maxBytes, declared.sizeBytes);
}

/** Recognises the audio and measures it; throws a VoiceRefusal when it is not audio or too long. */
export function inspectAudio(
  data: Uint8Array,
  declaredDurationMs: number | undefined,
  limits: AudioLimits,
): InspectedAudio {
  if (data.length > limits.maxBytes) throw tooBig(limits.maxBytes, data.length);
  const container = sniffContainer(data);
  if (!container) {
    throw new VoiceRefusal(
      "that attachment is not audio I can read — send a voice message with Element's mic button",
    );
  }
  let measuredMs: number | undefined;
  if (container === "ogg") {
    try {
      measuredMs = inspectOgg(data).durationMs;
    } catch (error) {
      const why = error instanceof OggError ? error.message : "unreadable";
      throw new VoiceRefusal(
        `that voice message is not a readable Ogg audio file (${why}) — record it again`,
      );
    }
  } else if (container === "wav") {
    measuredMs = wavDurationMs(data);
  }
  const durationMs = measuredMs ?? declaredDurationMs;
  if (durationMs !== undefined && durationMs > limits.maxDurationMs)
    throw tooLong(durationMs, limits.maxDurationMs);
  return { container, durationMs, measured: measuredMs !== undefined };
}

/** The container, from the first bytes; undefined for anything that is not a known audio format. */
export function sniffContainer(data: Uint8Array): Container | undefined {
  const b = Buffer.from(data.buffer, data.byteOffset, Math.min(data.byteLength, 16));
  const ascii = (start: number, end: number): string => b.subarray(start, end).toString("latin1");
  if (ascii(0, 4) === "OggS") return "ogg";
  if (ascii(0, 4) === "RIFF" && ascii(8, 12) === "WAVE") return "wav";
  if (ascii(0, 4) === "fLaC") return "flac";
  if (ascii(4, 8) === "ftyp") return "mp4";
  if (ascii(0, 5) === "#!AMR") return "amr";
  if (b.length >= 4 && b.readUInt32BE(0) === 0x1a45dfa3) return "webm";
  if (ascii(0, 3) === "ID3") return "mp3";
  if (b.length >= 2 && b[0] === 0xff && (b[1]! & 0xe0) === 0xe0) return "mp3"; // MPEG frame sync
  return undefined;
}

/** Duration of a PCM WAV from its fmt chunk's byte rate and the data that follows. */
export function wavDurationMs(data: Uint8Array): number | undefined {
  const b = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  let offset = 12;
  let byteRate: number | undefined;
  while (offset + 8 <= b.length) {
    const id = b.subarray(offset, offset + 4).toString("latin1");
    const length = b.readUInt32LE(offset + 4);
    if (id === "fmt " && offset + 16 <= b.length) byteRate = b.readUInt32LE(offset + 16);
    if (id === "data") {
      if (!byteRate) return undefined;
      // A streamed WAV (ffmpeg to a pipe) leaves the length unset: the data runs to the end.
      const available = b.length - (offset + 8);
      const bytes = length === 0 || length === 0xffffffff ? available : Math.min(length, available);
      return Math.round((bytes * 1000) / byteRate);
    }
    offset += 8 + length + (length % 2);
  }
  return undefined;
}

function clock(ms: number): string {
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
}

function size(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1).replace(/\.0$/, "")} MB`;
  return `${Math.ceil(bytes / 1024)} kB`;
}
