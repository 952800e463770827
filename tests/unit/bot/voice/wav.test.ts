import { readFileSync } from "node:fs";
import { join } from "node:path";
import { wavDurationMs } from "../../../../bot/voice/audio";
import { convertToWav } from "../../../../bot/voice/wav";

const HELP = readFileSync(join(__dirname, "../../fixtures/help.ogg"));

// ffmpeg is one of the Debian packages scripts/install-deps.sh installs.
describe("conversion to WAV for services that need it", () => {
  test("Ogg/Opus becomes 16 kHz mono PCM of the same length", async () => {
    const wav = await convertToWav(HELP, 10_000);
    expect(wav.subarray(0, 4).toString("latin1")).toBe("RIFF");
    expect(wav.readUInt32LE(24)).toBe(16000);
    expect(wav.readUInt16LE(22)).toBe(1);
    expect(Math.abs(wavDurationMs(wav)! - 718)).toBeLessThan(40);
  });

  test("garbage and a missing ffmpeg are sentences", async () => {
    await expect(convertToWav(Buffer.from("not audio at all"), 10_000)).rejects.toThrow(
      /^could not convert the voice message to WAV \(ffmpeg: /,
    );
    await expect(convertToWav(HELP, 10_000, "/nonexistent/ffmpeg")).rejects.toThrow(
      /stt\.format is wav, which needs ffmpeg on the bot's machine, and it is not installed/,
    );
  });
});
