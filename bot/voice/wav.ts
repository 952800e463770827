import { spawn } from "node:child_process";
import { VoiceRefusal } from "./audio";

/**
 * For STT endpoints that only take WAV (whisper.cpp's server without --convert): 16 kHz
 * mono 16-bit PCM, which is what Whisper resamples to anyway. ffmpeg reads any container
 * Element or another client may send; stdin and stdout are pipes, nothing touches disk.
 */
export async function convertToWav(audio: Uint8Array, timeoutMs: number, ffmpeg = "ffmpeg"): Promise<Buffer> {
  const args = ["-hide_banner", "-loglevel", "error", "-i", "pipe:0", "-ac", "1", "-ar", "16000"];
  const child = spawn(ffmpeg, [...args, "-c:a", "pcm_s16le", "-f", "wav", "pipe:1"], {
    stdio: ["pipe", "pipe", "pipe"],
  });
  const out: Buffer[] = [];
  let err = "";
  child.stdout.on("data", (chunk: Buffer) => out.push(chunk));
  child.stderr.on("data", (chunk: Buffer) => (err += chunk.toString()));
  // ffmpeg may stop reading early on bad input; the resulting EPIPE is reported through the exit code.
  child.stdin.on("error", () => undefined);
  child.stdin.end(audio);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.once("error", (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(
        error.code === "ENOENT"
          ? new VoiceRefusal(
              "stt.format is wav, which needs ffmpeg on the bot's machine, and it is not installed " +
                "(apt install ffmpeg) — or set stt.format: ogg if the service takes Ogg",
            )
          : error,
      );
    });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) return resolve(Buffer.concat(out));
      const why = signal === "SIGKILL" ? "took too long" : err.trim().split("\n").pop() || `exit ${code}`;
      reject(new VoiceRefusal(`could not convert the voice message to WAV (ffmpeg: ${why})`));
    });
  });
}
