import { execFileSync } from "node:child_process";
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import type { LabFacts } from "../../../lab/facts";
import type { LabMatrixClient } from "../../../lab/matrix-client";

/** Real speech, encoded as Element records it, with the length of the speech itself. */
export interface SpokenAudio {
  ogg: Buffer;
  /** From espeak-ng's PCM, before Opus touched it. */
  speechS: number;
}

/** espeak-ng says `text`; ffmpeg encodes it to Ogg/Opus, 48 kHz mono, ~24 kbit/s VoIP mode. */
export function speak(text: string): SpokenAudio {
  const wav = execFileSync("espeak-ng", ["--stdout", text]);
  const ogg = execFileSync("ffmpeg", [...ENCODE_FROM_PIPE], { input: wav, maxBuffer: 64 * 1024 * 1024 });
  // espeak-ng writes a streamed WAV (sizes unset) with a 44-byte header; bytes/s at offset 28.
  const byteRate = wav.readUInt32LE(28);
  return { ogg, speechS: (wav.length - 44) / byteRate };
}

/** `seconds` of silence as Ogg/Opus (frame size and complexity chosen to encode 20 min in seconds). */
export function silence(seconds: number): Buffer {
  return execFileSync(
    "ffmpeg",
    [
      ...["-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "anullsrc=r=48000:cl=mono"],
      ...["-t", String(seconds), "-c:a", "libopus", "-b:a", "16k", "-compression_level", "0"],
      ...["-frame_duration", "60", "-application", "voip", "-f", "ogg", "pipe:1"],
    ],
    { maxBuffer: 64 * 1024 * 1024 },
  );
}

const ENCODE_FROM_PIPE = [
  ...["-hide_banner", "-loglevel", "error", "-i", "pipe:0", "-ar", "48000", "-ac", "1"],
  ...["-c:a", "libopus", "-b:a", "24k", "-application", "voip", "-f", "ogg", "pipe:1"],
];

/**
 * Uploads the audio and sends it as Element X sends a voice message: m.audio,
 * `audio/ogg` without codecs, the duration in info and in MSC1767, the MSC3245 marker.
 */
export async function sendVoice(
  client: LabMatrixClient,
  roomId: string,
  ogg: Buffer,
  durationMs: number,
  extra: Record<string, unknown> = {},
): Promise<string> {
  const mxc = await client.upload(ogg, "audio/ogg", "Voice message.ogg");
  return client.send(roomId, {
    msgtype: "m.audio",
    body: "Voice message.ogg",
    url: mxc,
    info: { mimetype: "audio/ogg", size: ogg.length, duration: durationMs },
    "org.matrix.msc1767.audio": { duration: durationMs, waveform: [0, 512, 1024, 512, 0] },
    "org.matrix.msc1767.text": "Voice message",
    "org.matrix.msc3245.voice": {},
    ...extra,
  });
}

/**
 * The lab's bot config plus an stt section (and, for device rooms, an llm section pointing
 * at the Messages API stand-in), next to the lab's own.
 */
export function writeVoiceConfig(facts: LabFacts, stt: Record<string, unknown>, llmBaseUrl?: string): string {
  const config = parse(readFileSync(facts.botConfig, "utf8")) as Record<string, unknown>;
  config.stt = stt;
  if (llmBaseUrl) {
    const keyFile = join(facts.labDir, "secrets", "llm-key-voice");
    writeFileSync(keyFile, "sk-standin-voice", { mode: 0o600 });
    chmodSync(keyFile, 0o600);
    config.llm = { base_url: llmBaseUrl, api_key_file: keyFile, retries: 0, request_timeout_s: 20 };
  }
  // The router says at debug level where a message went (and why it was ignored).
  config.log = { level: "debug" };
  const file = join(facts.labDir, "meshpilot-voice.yaml");
  writeFileSync(
    file,
    `# Written by tests/e2e/voice.test.ts: the lab's config with stt.\n${stringify(config)}`,
  );
  return file;
}
