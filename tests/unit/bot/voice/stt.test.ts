import type { IncomingMessage } from "node:http";
import { cleanTranscript, transcribe, transcriptionForm } from "../../../../bot/voice/stt";
import { UserError } from "../../../../common/errors";
import { deadUrl, json, localServer } from "./http-server";

const audio = { data: Buffer.from("OggS fake audio"), filename: "voice.ogg", contentType: "audio/ogg" };
const options = { model: "whisper-1", language: "en", timeoutMs: 2000 };

/** Parses a multipart body the way a server framework would (undici's parser). */
function parseForm(req: IncomingMessage, body: Buffer): Promise<FormData> {
  return new Request("http://x/", {
    method: "POST",
    headers: { "content-type": req.headers["content-type"] ?? "" },
    body,
  }).formData();
}

async function failure(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(UserError);
    return (error as Error).message;
  }
  throw new Error("expected a failure");
}

describe("the transcription client", () => {
  test("the multipart form has the file with its name and type, the model, the language and json", async () => {
    const form = transcriptionForm(audio, { model: "whisper-1", language: "en" });
    const body = await new Response(form).text();
    expect(body).toContain('name="file"; filename="voice.ogg"');
    expect(body).toContain("Content-Type: audio/ogg");
    expect(body).toContain("OggS fake audio");
    const fields = [...form.keys()];
    expect(fields).toEqual(["file", "model", "language", "response_format"]);
    expect(form.get("response_format")).toBe("json");
    expect([...transcriptionForm(audio, { model: "m" }).keys()]).not.toContain("language");
  });

  test("posts real multipart with the key, and returns the trimmed text", async () => {
    let seen: { auth?: string; model?: unknown; file?: string; type?: string } = {};
    const server = await localServer((req, body, res) => {
      void parseForm(req, body).then(async (form) => {
        const file = form.get("file") as File;
        seen = {
          auth: req.headers.authorization,
          model: form.get("model"),
          file: Buffer.from(await file.arrayBuffer()).toString(),
          type: file.type,
        };
        json(res, 200, { text: "  Help.\n" });
      });
    });
    try {
      const text = await transcribe(
        { ...options, url: `${server.url}/v1/audio/transcriptions`, apiKey: "sk-1" },
        audio,
      );
      expect(text).toBe("Help.");
      expect(seen).toEqual({
        auth: "Bearer sk-1",
        model: "whisper-1",
        file: "OggS fake audio",
        type: "audio/ogg",
      });
    } finally {
      await server.close();
    }
  });

  test("each failure is one sentence naming the service and what to do", async () => {
    let status = 500;
    let body: unknown = { error: { message: "the model is not loaded" } };
    const server = await localServer((_req, _body, res) => json(res, status, body));
    const url = `${server.url}/v1/audio/transcriptions`;
    const host = new URL(server.url).host;
    try {
      expect(await failure(transcribe({ ...options, url }, audio))).toBe(
        `the speech-to-text service at ${host} answered HTTP 500 (the model is not loaded) — its log says more; type the command meanwhile`,
      );
      status = 401;
      expect(await failure(transcribe({ ...options, url }, audio))).toBe(
        `the speech-to-text service at ${host} refused the API key (HTTP 401) — check stt.api_key_file or MESHPILOT_STT_API_KEY`,
      );
      status = 200;
      body = { transcript: "x" };
      expect(await failure(transcribe({ ...options, url }, audio))).toMatch(
        /answered without a "text" field$/,
      );
    } finally {
      await server.close();
    }
    const dead = await deadUrl();
    expect(await failure(transcribe({ ...options, url: `${dead}/v1/audio/transcriptions` }, audio))).toBe(
      `the speech-to-text service at ${new URL(dead).host} is unreachable (ECONNREFUSED) — is it running? Type the command meanwhile`,
    );
  });

  test("a service that does not answer in time is too slow, not unreachable", async () => {
    const server = await localServer(() => undefined); // never answers
    try {
      const message = await failure(
        transcribe({ ...options, timeoutMs: 300, url: `${server.url}/v1/audio/transcriptions` }, audio),
      );
      expect(message).toMatch(
        /did not answer within 0 s \(stt\.timeout_s\) — try again, or type the command$/,
      );
    } finally {
      await server.close();
    }
  });

  test("Whisper's silence tags are nothing heard; real words keep theirs", () => {
    expect(cleanTranscript(" [BLANK_AUDIO] ")).toBe("");
    expect(cleanTranscript("(wind blowing) [Music]")).toBe("");
    expect(cleanTranscript("  health \n")).toBe("health");
    expect(cleanTranscript("restart nginx (please)")).toBe("restart nginx (please)");
  });
});
