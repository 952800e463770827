import { readFileSync } from "node:fs";
import { join } from "node:path";
import { inspectOgg, oggCrc } from "../../../../bot/voice/ogg";

const fixture = (name: string): Buffer => readFileSync(join(__dirname, "../../fixtures", name));

describe("reading Ogg streams", () => {
  // help.ogg: espeak-ng "help" → ffmpeg libopus, 48 kHz mono, as Element records;
  // opusinfo reads 0.718 s (last granule minus pre-skip).
  test("an Ogg/Opus voice message: codec, channels, rate and duration from the stream", () => {
    expect(inspectOgg(fixture("help.ogg"))).toEqual({
      codec: "opus",
      channels: 1,
      inputSampleRate: 48000,
      pages: 3,
      durationMs: 718,
    });
  });

  test("Ogg/Vorbis is audio too, measured by its own sample rate", () => {
    const info = inspectOgg(fixture("hello-vorbis.ogg"));
    expect(info.codec).toBe("vorbis");
    expect(info.channels).toBe(2);
    expect(info.durationMs).toBeGreaterThan(650);
    expect(info.durationMs).toBeLessThan(760);
  });

  test("the CRC matches what libogg wrote on every page", () => {
    const data = fixture("help.ogg");
    const segments = data[26]!;
    let length = 27 + segments;
    for (let i = 0; i < segments; i++) length += data[27 + i]!;
    expect(oggCrc(data.subarray(0, length))).toBe(data.readUInt32LE(22));
  });

  test("a flipped bit, a cut-off file and a non-Ogg file are each named", () => {
    const data = Buffer.from(fixture("help.ogg"));
    data[data.length - 10]! ^= 0x01;
    expect(() => inspectOgg(data)).toThrow("page 3 fails its CRC");
    const good = fixture("help.ogg");
    expect(() => inspectOgg(good.subarray(0, good.length - 5))).toThrow("page 3 is truncated");
    expect(() => inspectOgg(Buffer.from("RIFF....WAVEfmt "))).toThrow("not an Ogg stream");
    expect(() => inspectOgg(Buffer.concat([good, Buffer.from("junk")]))).toThrow("garbage after page 3");
  });
});
