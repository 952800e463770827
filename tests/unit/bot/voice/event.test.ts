import { audioAttachment } from "../../../../bot/voice/event";

describe("m.audio events", () => {
  test("an Element X voice message", () => {
    expect(
      audioAttachment({
        msgtype: "m.audio",
        body: "Voice message.ogg",
        url: "mxc://example.org/abc",
        info: { mimetype: "audio/ogg", size: 1883, duration: 718 },
        "org.matrix.msc1767.audio": { duration: 718, waveform: [0, 1] },
        "org.matrix.msc3245.voice": {},
      }),
    ).toEqual({
      mxc: "mxc://example.org/abc",
      mimetype: "audio/ogg",
      sizeBytes: 1883,
      durationMs: 718,
      isVoice: true,
    });
  });

  test("a plain audio file, and the larger of two disagreeing durations", () => {
    expect(
      audioAttachment({
        msgtype: "m.audio",
        body: "memo.m4a",
        url: "mxc://example.org/m",
        info: { duration: 1000 },
        "org.matrix.msc1767.audio": { duration: 1_200_000 },
      }),
    ).toMatchObject({ durationMs: 1_200_000, isVoice: false, sizeBytes: undefined });
  });

  test("not audio, an edit, and an encrypted file", () => {
    expect(audioAttachment({ msgtype: "m.text", body: "hi" })).toBeUndefined();
    expect(
      audioAttachment({
        msgtype: "m.audio",
        body: "x",
        "m.relates_to": { rel_type: "m.replace", event_id: "$e" },
      }),
    ).toBeUndefined();
    expect(
      audioAttachment({ msgtype: "m.audio", body: "x", file: { url: "mxc://e/x" } })?.mxc,
    ).toBeUndefined();
  });
});
