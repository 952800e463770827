import type { MatrixEvent } from "../../lab/matrix-client";
import { SttStandin } from "../../lab/stt-standin";
import { describeLab } from "./support/lab";
import { LabSession, WAIT } from "./support/session";
import { sendVoice, speak, writeVoiceConfig } from "./support/voice";

/** For services such as whisper.cpp's server without --convert: `stt.format: wav`. */
describeLab("voice messages to an STT service that takes WAV", (lab) => {
  const standin = new SttStandin();
  let session: LabSession;

  beforeAll(async () => {
    standin.expectFormat = "wav";
    const url = await standin.start();
    const configFile = writeVoiceConfig(lab(), { url, model: "ggml-base.en", format: "wav", timeout_s: 10 });
    session = new LabSession(lab(), "voice-wav", {}, { configFile });
    await session.start();
  }, 180_000);

  afterAll(async () => {
    await session?.stop();
    await standin.stop();
  });

  test("the Ogg/Opus voice message is converted with ffmpeg and sent as 16 kHz mono WAV", async () => {
    const help = speak("help");
    standin.transcript = "Help.";
    standin.expectDurationS = help.speechS;
    const voice = await sendVoice(
      session.operator,
      session.alertsRoom,
      help.ogg,
      Math.round(help.speechS * 1000),
    );
    const echo = await session.operator.waitFor(
      (e: MatrixEvent) =>
        e.sender === lab().botUserId &&
        (e.content["m.relates_to"] as { "m.in_reply_to"?: { event_id?: string } } | undefined)?.[
          "m.in_reply_to"
        ]?.event_id === voice,
      WAIT,
      "the echo",
    );
    expect(echo.content.body).toBe("🎤 Help.");
    expect(standin.received).toHaveLength(1);
    expect(standin.received[0]).toMatchObject({
      model: "ggml-base.en",
      filename: "voice.wav",
      contentType: "audio/wav",
      problem: undefined,
      probe: { format: "wav", codec: "pcm_s16le", sampleRate: 16000, channels: 1 },
    });
    expect(Math.abs(standin.received[0]!.probe!.durationS - help.speechS)).toBeLessThan(0.25);
  });
});
