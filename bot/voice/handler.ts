import { describeFailure } from "../../common/errors";
import type { Logger } from "../../common/log";
import { REACT_FAILED } from "../dispatch";
import type { MatrixPort } from "../port";
import { noticeContent, plain, type MessageContent } from "../reply";
import type { Destination, MessageRouter } from "../router";
import { checkDeclared, inspectAudio, tooLong, VoiceRefusal, wavDurationMs, type AudioLimits } from "./audio";
import type { Container } from "./audio";
import type { AudioAttachment } from "./event";
import type { AudioUpload } from "./stt";
import { commandFromTranscript } from "./transcript";

/** The speech-to-text side, present only when `stt:` is configured. */
export interface VoiceService {
  limits: AudioLimits;
  format: "ogg" | "wav";
  download(mxc: string, maxBytes: number): Promise<Buffer>;
  toWav(audio: Uint8Array): Promise<Buffer>;
  transcribe(upload: AudioUpload): Promise<string>;
}

export interface VoiceDeps {
  service: VoiceService | undefined;
  router: Pick<MessageRouter, "destination" | "route">;
  /** Names the command table knows, for spoken commands. */
  commandNames(): Iterable<string>;
  /** Who answers where: the bot in its rooms, the device's agent user in a device room. */
  speakerFor(destination: Destination): MatrixPort;
  log: Logger;
}

export interface VoiceMessage {
  roomId: string;
  eventId: string;
  sender: string;
  attachment: AudioAttachment;
}

export const NOT_CONFIGURED =
  "voice messages need a speech-to-text service and none is set up — add an stt: section to the " +
  "bot's config (see config/meshpilot.example.yaml), or type the command";
export const HEARD_NOTHING =
  "I heard nothing in that voice message — try again closer to the microphone, or type it";
export const NO_COMMAND_HEARD =
  "that is not a command — say a command's name first (such as “help”), or talk to a device's agent " +
  "in its room";

/**
 * An operator's voice message becomes what they would have typed: authorised and placed
 * by the router first (nothing is downloaded for anyone else), capped, transcribed,
 * echoed as `🎤 <transcript>` in reply to it, then routed like text with `viaVoice` set.
 */
export class VoiceHandler {
  constructor(private readonly deps: VoiceDeps) {}

  async handle(message: VoiceMessage): Promise<void> {
    const { deps } = this;
    const destination = await deps.router.destination(message);
    if (!destination) return;
    const speaker = deps.speakerFor(destination);
    const log = deps.log.child({
      voice: message.eventId,
      roomId: message.roomId,
      destination: destination.kind,
    });
    try {
      const transcript = await this.transcribe(message.attachment, log);
      await speaker.send(
        message.roomId,
        inReplyTo(message.eventId, noticeContent(plain(`🎤 ${transcript}`))),
      );
      const body =
        destination.kind === "commands" ? commandFromTranscript(transcript, deps.commandNames()) : transcript;
      if (destination.kind === "commands" && !body.startsWith("!")) throw new VoiceRefusal(NO_COMMAND_HEARD);
      await deps.router.route({
        roomId: message.roomId,
        eventId: message.eventId,
        sender: message.sender,
        msgtype: "m.text",
        body,
        viaVoice: true,
      });
    } catch (error) {
      const sentence = describeFailure(log, "voice message", error);
      await speaker.send(message.roomId, inReplyTo(message.eventId, noticeContent(plain(sentence))));
      await speaker.react(message.roomId, message.eventId, REACT_FAILED);
    }
  }

  private async transcribe(attachment: AudioAttachment, log: Logger): Promise<string> {
    const service = this.deps.service;
    if (!service) throw new VoiceRefusal(NOT_CONFIGURED);
    if (!attachment.mxc) {
      throw new VoiceRefusal(
        "that voice message has no file I can download (is it encrypted?) — type it instead",
      );
    }
    const { limits } = service;
    checkDeclared(attachment, limits);
    const data = await service.download(attachment.mxc, limits.maxBytes);
    const audio = inspectAudio(data, attachment.durationMs, limits);
    let upload: AudioUpload = { data, ...fileFor(audio.container) };
    if (service.format === "wav") {
      const wav = await service.toWav(data);
      // ffmpeg's output measures containers the bot cannot (mp3, m4a…): the cap holds for them too.
      const converted = wavDurationMs(wav);
      if (converted !== undefined && converted > limits.maxDurationMs)
        throw tooLong(converted, limits.maxDurationMs);
      upload = { data: wav, ...fileFor("wav") };
    }
    const started = Date.now();
    const transcript = await service.transcribe(upload);
    log.info(
      {
        container: audio.container,
        durationMs: audio.durationMs,
        measured: audio.measured,
        bytes: data.length,
        sentAs: upload.contentType,
        sttMs: Date.now() - started,
        chars: transcript.length,
      },
      "voice message transcribed",
    );
    if (!transcript) throw new VoiceRefusal(HEARD_NOTHING);
    return transcript;
  }
}

/** The file name matters: OpenAI tells formats apart by its extension. */
function fileFor(container: Container): { filename: string; contentType: string } {
  const known: Record<Container, [string, string]> = {
    ogg: ["ogg", "audio/ogg"],
    wav: ["wav", "audio/wav"],
    mp3: ["mp3", "audio/mpeg"],
    mp4: ["m4a", "audio/mp4"],
    flac: ["flac", "audio/flac"],
    webm: ["webm", "audio/webm"],
    amr: ["amr", "audio/amr"],
  };
  const [extension, contentType] = known[container];
  return { filename: `voice.${extension}`, contentType };
}

function inReplyTo(eventId: string, content: MessageContent): MessageContent {
  return { ...content, "m.relates_to": { "m.in_reply_to": { event_id: eventId } } };
}
