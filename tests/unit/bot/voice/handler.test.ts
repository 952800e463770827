import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { RoomMessage } from "../../../../bot/dispatch";
import type { Destination } from "../../../../bot/router";
import type { AudioAttachment } from "../../../../bot/voice/event";
import {
  HEARD_NOTHING,
  NO_COMMAND_HEARD,
  NOT_CONFIGURED,
  VoiceHandler,
  type VoiceService,
} from "../../../../bot/voice/handler";
import type { AudioUpload } from "../../../../bot/voice/stt";
import type { Device } from "../../../../state/devices";
import { RecordingPort, memoryLogger } from "../../support/fakes";

const HELP = readFileSync(join(__dirname, "../../fixtures/help.ogg"));
const OPERATOR = "@you:example.org";
const device = { name: "web2", agent_user_id: "@agent-web2:example.org" } as Device;
const voice: AudioAttachment = {
  mxc: "mxc://example.org/voice",
  mimetype: "audio/ogg",
  sizeBytes: HELP.length,
  durationMs: 700,
  isVoice: true,
};

function setup(
  options: {
    destination?: Destination;
    transcript?: string;
    service?: "none" | "wav";
    maxDurationMs?: number;
    /** How long the WAV that "ffmpeg" returns lasts (32000 bytes a second); 1 s unless given. */
    wavMs?: number;
  } = {},
) {
  const bot = new RecordingPort("@meshpilot:example.org");
  const agent = new RecordingPort("@agent-web2:example.org");
  const routed: RoomMessage[] = [];
  const downloads: string[] = [];
  const uploads: AudioUpload[] = [];
  const converted: number[] = [];
  const service: VoiceService = {
    limits: { maxBytes: 1024 * 1024, maxDurationMs: options.maxDurationMs ?? 120_000 },
    format: options.service === "wav" ? "wav" : "ogg",
    download: (mxc) => {
      downloads.push(mxc);
      return Promise.resolve(HELP);
    },
    toWav: (audio) => {
      converted.push(audio.length);
      const header = Buffer.alloc(44);
      header.write("RIFF", 0, "latin1");
      header.write("WAVEfmt ", 8, "latin1");
      header.writeUInt32LE(16, 16);
      header.writeUInt32LE(32000, 28);
      header.write("data", 36, "latin1");
      const pcm = (32000 * (options.wavMs ?? 1000)) / 1000;
      header.writeUInt32LE(pcm, 40);
      return Promise.resolve(Buffer.concat([header, Buffer.alloc(pcm)]));
    },
    transcribe: (upload) => {
      uploads.push(upload);
      return Promise.resolve(options.transcript ?? "Help.");
    },
  };
  const { log } = memoryLogger();
  const handler = new VoiceHandler({
    service: options.service === "none" ? undefined : service,
    router: {
      destination: (m) => Promise.resolve(m.sender === OPERATOR ? options.destination : undefined),
      route: (m) => {
        routed.push(m);
        return Promise.resolve();
      },
    },
    commandNames: () => ["help", "add-pc"],
    speakerFor: (d) => (d.kind === "agent" ? agent : bot),
    log,
  });
  const hear = (attachment: AudioAttachment = voice, sender = OPERATOR): Promise<void> =>
    handler.handle({ roomId: "!room", eventId: "$voice", sender, attachment });
  return { bot, agent, routed, downloads, uploads, converted, hear };
}

const commands: Destination = { kind: "commands" };

describe("voice messages", () => {
  test("in the control room: echoed in reply, then routed as the command, marked as spoken", async () => {
    const { bot, routed, uploads, hear } = setup({ destination: commands });
    await hear();
    expect(bot.sent).toHaveLength(1);
    expect(bot.sent[0]!.content).toMatchObject({
      msgtype: "m.notice",
      body: "🎤 Help.",
      "m.relates_to": { "m.in_reply_to": { event_id: "$voice" } },
    });
    expect(routed).toEqual([
      {
        roomId: "!room",
        eventId: "$voice",
        sender: OPERATOR,
        msgtype: "m.text",
        body: "!help",
        viaVoice: true,
      },
    ]);
    expect(uploads[0]).toMatchObject({ filename: "voice.ogg", contentType: "audio/ogg" });
    expect(uploads[0]!.data).toEqual(HELP);
  });

  test("in a device room: the agent user echoes, and the agent gets the words as spoken", async () => {
    const { bot, agent, routed, hear } = setup({
      destination: { kind: "agent", device },
      transcript: "Help me find what is filling the disk.",
    });
    await hear();
    expect(bot.sent).toEqual([]);
    expect(agent.sent[0]!.content.body).toBe("🎤 Help me find what is filling the disk.");
    expect(routed[0]!.body).toBe("Help me find what is filling the disk.");
    expect(routed[0]!.viaVoice).toBe(true);
  });

  test("someone the router would ignore costs nothing: no download, no reply", async () => {
    const { bot, downloads, routed, hear } = setup({ destination: commands });
    await hear(voice, "@stranger:example.org");
    expect(downloads).toEqual([]);
    expect(bot.sent).toEqual([]);
    expect(routed).toEqual([]);
  });

  test("not configured: the operator is told, with ❌", async () => {
    const { bot, routed, hear } = setup({ destination: commands, service: "none" });
    await hear();
    expect(bot.sent.map((s) => s.content.body)).toEqual([NOT_CONFIGURED]);
    expect(bot.reactions).toEqual([{ roomId: "!room", eventId: "$voice", key: "❌" }]);
    expect(routed).toEqual([]);
  });

  test("a declared 20 minutes is refused before downloading", async () => {
    const { bot, downloads, uploads, hear } = setup({ destination: commands });
    await hear({ ...voice, durationMs: 20 * 60_000 });
    expect(downloads).toEqual([]);
    expect(uploads).toEqual([]);
    expect(bot.sent[0]!.content.body).toMatch(/^that voice message is 20:00 long and the limit is 2:00/);
  });

  test("silence and chatter in the control room get a sentence, not silence", async () => {
    const quiet = setup({ destination: commands, transcript: "" });
    await quiet.hear();
    expect(quiet.bot.sent.map((s) => s.content.body)).toEqual([HEARD_NOTHING]);
    const chatter = setup({ destination: commands, transcript: "Nice weather today." });
    await chatter.hear();
    expect(chatter.bot.sent.map((s) => s.content.body)).toEqual(["🎤 Nice weather today.", NO_COMMAND_HEARD]);
    expect(chatter.routed).toEqual([]);
    expect(chatter.bot.reactions.map((r) => r.key)).toEqual(["❌"]);
  });

  test("stt.format wav converts first and sends WAV", async () => {
    const { uploads, converted, hear } = setup({ destination: commands, service: "wav" });
    await hear();
    expect(converted).toEqual([HELP.length]);
    expect(uploads[0]).toMatchObject({ filename: "voice.wav", contentType: "audio/wav" });
  });

  test("the duration cap holds for the converted WAV too: over it is refused and nothing is sent", async () => {
    // The Ogg itself (0.7 s) is under the 1 s cap; what ffmpeg made of it lasts 1.5 s.
    const { bot, uploads, converted, hear } = setup({
      destination: commands,
      service: "wav",
      maxDurationMs: 1_000,
      wavMs: 1_500,
    });
    await hear();
    expect(converted).toEqual([HELP.length]);
    expect(uploads).toEqual([]);
    expect(bot.sent.map((s) => s.content.body)).toEqual([
      "that voice message is 0:02 long and the limit is 0:01 (stt.max_duration_s) — say it in a shorter one, or type it",
    ]);
    expect(bot.reactions.map((r) => r.key)).toEqual(["❌"]);
  });

  test("a converted WAV under the cap is sent", async () => {
    const { uploads, routed, hear } = setup({
      destination: commands,
      service: "wav",
      maxDurationMs: 1_000,
      wavMs: 900,
    });
    await hear();
    expect(uploads).toHaveLength(1);
    expect(uploads[0]!.data.length).toBe(44 + 28_800);
    expect(routed).toHaveLength(1);
  });

  test("an attachment without a file (encrypted) is a sentence", async () => {
    const { bot, hear } = setup({ destination: commands });
    await hear({ ...voice, mxc: undefined });
    expect(bot.sent[0]!.content.body).toMatch(/has no file I can download/);
  });
});
