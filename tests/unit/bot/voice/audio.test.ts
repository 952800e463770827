import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  checkDeclared,
  inspectAudio,
  sniffContainer,
  wavDurationMs,
  VoiceRefusal,
} from "../../../../bot/voice/audio";
import { UserError } from "../../../../common/errors";

const HELP = readFileSync(join(__dirname, "../../fixtures/help.ogg"));
const limits = { maxBytes: 1024 * 1024, maxDurationMs: 120_000 };

/** A PCM WAV header and `seconds` of silence at 16 kHz mono 16-bit. */
function wav(seconds: number, streamed = false): Buffer {
  const data = Buffer.alloc(Math.round(seconds * 32000));
  const header = Buffer.alloc(44);
  header.write("RIFF", 0, "latin1");
  header.writeUInt32LE(streamed ? 0xffffffff : 36 + data.length, 4);
  header.write("WAVEfmt ", 8, "latin1");
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(16000, 24);
  header.writeUInt32LE(32000, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write("data", 36, "latin1");
  header.writeUInt32LE(streamed ? 0xffffffff : data.length, 40);
  return Buffer.concat([header, data]);
}

describe("audio caps and recognition", () => {
  test("containers are told apart by their first bytes", () => {
    expect(sniffContainer(HELP)).toBe("ogg");
    expect(sniffContainer(wav(0.1))).toBe("wav");
    expect(sniffContainer(Buffer.from("\x00\x00\x00\x20ftypM4A "))).toBe("mp4");
    expect(sniffContainer(Buffer.from("ID3\x04\x00"))).toBe("mp3");
    expect(sniffContainer(Buffer.from([0xff, 0xfb, 0x90, 0x00]))).toBe("mp3");
    expect(sniffContainer(Buffer.from("fLaC\x00"))).toBe("flac");
    expect(sniffContainer(Buffer.from([0x1a, 0x45, 0xdf, 0xa3, 0x01]))).toBe("webm");
    expect(sniffContainer(Buffer.from("#!AMR\n"))).toBe("amr");
    expect(sniffContainer(Buffer.from("%PDF-1.7"))).toBeUndefined();
    expect(sniffContainer(Buffer.alloc(0))).toBeUndefined();
  });

  test("WAV length comes from the byte rate, also when streamed without sizes", () => {
    expect(wavDurationMs(wav(2.5))).toBe(2500);
    expect(wavDurationMs(wav(1.25, true))).toBe(1250);
  });

  test("the declared length and size are checked before downloading, in one sentence each", () => {
    expect(() => checkDeclared({ durationMs: 1_200_000 }, limits)).toThrow(
      "that voice message is 20:00 long and the limit is 2:00 (stt.max_duration_s) — say it in a shorter one, or type it",
    );
    expect(() => checkDeclared({ sizeBytes: 5 * 1024 * 1024 }, limits)).toThrow(
      "that voice message is 5 MB and the limit of 1 MB (stt.max_bytes) — say it in a shorter one, or type it",
    );
    expect(() => checkDeclared({ durationMs: 3000, sizeBytes: 20_000 }, limits)).not.toThrow();
    expect(() => checkDeclared({}, limits)).not.toThrow();
  });

  test("the stream's own length wins over a declared one that lies", () => {
    expect(inspectAudio(HELP, 1, limits)).toEqual({ container: "ogg", durationMs: 718, measured: true });
    expect(() => inspectAudio(wav(3), 1000, { ...limits, maxDurationMs: 2000 })).toThrow(
      /is 0:03 long and the limit is 0:02/,
    );
  });

  test("containers the bot cannot measure keep the declared length", () => {
    const m4a = Buffer.from("\x00\x00\x00\x20ftypM4A ");
    expect(inspectAudio(m4a, 4000, limits)).toEqual({ container: "mp4", durationMs: 4000, measured: false });
    expect(() => inspectAudio(m4a, 200_000, limits)).toThrow(/is 3:20 long/);
  });

  test("not audio, a broken Ogg and a file over the size cap are refusals the operator can read", () => {
    const refusal = (data: Buffer): VoiceRefusal => {
      try {
        inspectAudio(data, undefined, limits);
      } catch (error) {
        return error as VoiceRefusal;
      }
      throw new Error("expected a refusal");
    };
    const notAudio = refusal(Buffer.from("%PDF-1.7 …"));
    expect(notAudio).toBeInstanceOf(UserError);
    expect(notAudio.message).toBe(
      "that attachment is not audio I can read — send a voice message with Element's mic button",
    );
    expect(refusal(HELP.subarray(0, 100)).message).toBe(
      "that voice message is not a readable Ogg audio file (page 2 is truncated) — record it again",
    );
    expect(refusal(Buffer.alloc(limits.maxBytes + 1)).message).toBe(
      "that voice message is larger than the limit of 1 MB (stt.max_bytes) — say it in a shorter one, or type it",
    );
  });
});
