import type { Config, Secrets } from "../../config/schema";
import type { VoiceService } from "./handler";
import { downloadMedia } from "./media";
import { transcribe } from "./stt";
import { convertToWav } from "./wav";

/** The speech-to-text side from the `stt:` section; undefined when voice is not set up. */
export function voiceServiceFrom(config: Readonly<Config>, secrets: Secrets): VoiceService | undefined {
  const stt = config.stt;
  if (!stt) return undefined;
  const timeoutMs = stt.timeout_s * 1000;
  // The appservice token acts as the bot user, which may read media from the rooms it serves.
  const media = { homeserverUrl: config.homeserver.url, accessToken: secrets.asToken, timeoutMs };
  const options = {
    url: stt.url,
    model: stt.model,
    timeoutMs,
    ...(stt.language ? { language: stt.language } : {}),
    ...(secrets.sttApiKey ? { apiKey: secrets.sttApiKey } : {}),
  };
  return {
    limits: { maxBytes: stt.max_bytes, maxDurationMs: stt.max_duration_s * 1000 },
    format: stt.format,
    download: (mxc, maxBytes) => downloadMedia(media, mxc, maxBytes),
    toWav: (audio) => convertToWav(audio, timeoutMs),
    transcribe: (upload) => transcribe(options, upload),
  };
}
