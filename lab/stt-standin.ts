import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** What ffprobe read from a received file. */
export interface Probe {
  format: string;
  codec: string;
  sampleRate: number;
  channels: number;
  durationS: number;
}

export interface ReceivedRequest {
  model: string | undefined;
  language: string | undefined;
  responseFormat: string | undefined;
  filename: string | undefined;
  contentType: string | undefined;
  bytes: number;
  authorization: string | undefined;
  probe: Probe | undefined;
  /** Why the audio was rejected (answered 400), if it was. */
  problem: string | undefined;
}

/**
 * A local stand-in for an OpenAI-compatible `POST /v1/audio/transcriptions` (the real
 * STT services need the internet or a model download). It parses the real multipart
 * body, checks with ffprobe — independently of the bot's own Ogg reader — that the file
 * is Ogg/Opus, 48 kHz, mono (as Element records) and, when told, of the expected
 * duration, then answers the scripted transcript. It can be told to fail or to hang.
 */
export class SttStandin {
  readonly received: ReceivedRequest[] = [];
  transcript = "";
  mode: "answer" | "fail" | "hang" = "answer";
  /** When set, audio whose duration differs by more than 0.25 s is rejected. */
  expectDurationS: number | undefined;
  /** What the file must be; "wav" for a bot configured with stt.format: wav. */
  expectFormat: "ogg-opus" | "wav" = "ogg-opus";
  private server: Server | undefined;
  private waiters: Array<() => void> = [];

  /** Listens (port 0: any free port); resolves with the endpoint URL. */
  async start(host = "127.0.0.1", port = 0): Promise<string> {
    const server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        if (!res.headersSent) answer(res, 500, { error: { message: String(error) } });
      });
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, resolve);
    });
    const address = server.address() as AddressInfo;
    return `http://${host}:${address.port}/v1/audio/transcriptions`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Resolves once `count` requests have been received (parsed and checked). */
  waitForRequests(count: number, timeoutMs: number): Promise<void> {
    if (this.received.length >= count) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`the STT stand-in got ${this.received.length} of ${count} requests`)),
        timeoutMs,
      );
      const check = (): void => {
        if (this.received.length < count) return;
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== check);
        resolve();
      };
      this.waiters.push(check);
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== "POST" || req.url !== "/v1/audio/transcriptions") {
      answer(res, 404, { error: { message: "not found" } });
      return;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    // undici's own multipart parser reads the body exactly as a real server framework would.
    const form = await new Request("http://standin/", {
      method: "POST",
      headers: { "content-type": req.headers["content-type"] ?? "" },
      body: Buffer.concat(chunks),
    }).formData();
    const file = form.get("file");
    const audio = file instanceof Blob ? Buffer.from(await file.arrayBuffer()) : undefined;
    const field = (name: string): string | undefined => {
      const value = form.get(name);
      return typeof value === "string" ? value : undefined;
    };
    const probe = audio ? await ffprobe(audio) : undefined;
    const request: ReceivedRequest = {
      model: field("model"),
      language: field("language"),
      responseFormat: field("response_format"),
      filename: file instanceof File ? file.name : undefined,
      contentType: file instanceof Blob ? file.type : undefined,
      bytes: audio?.length ?? 0,
      authorization: req.headers.authorization,
      probe,
      problem: audio ? this.problemWith(probe) : "no file field",
    };
    this.received.push(request);
    for (const waiter of [...this.waiters]) waiter();

    if (this.mode === "hang") return; // never answered; stop() drops the connection
    if (this.mode === "fail") {
      answer(res, 500, { error: { message: "the model is not loaded" } });
      return;
    }
    if (request.problem) {
      answer(res, 400, { error: { message: request.problem } });
      return;
    }
    if (!request.model) {
      answer(res, 400, { error: { message: "model is required" } });
      return;
    }
    answer(res, 200, { text: this.transcript });
  }

  private problemWith(probe: Probe | undefined): string | undefined {
    if (!probe) return "ffprobe cannot read the file";
    const want =
      this.expectFormat === "wav"
        ? { format: "wav", codec: "pcm_s16le", sampleRate: 16000 }
        : { format: "ogg", codec: "opus", sampleRate: 48000 };
    if (probe.format !== want.format || probe.codec !== want.codec)
      return `expected ${want.format}/${want.codec}, got ${probe.format}/${probe.codec}`;
    if (probe.sampleRate !== want.sampleRate)
      return `expected ${want.sampleRate} Hz, got ${probe.sampleRate}`;
    if (probe.channels !== 1) return `expected mono, got ${probe.channels} channels`;
    if (this.expectDurationS !== undefined && Math.abs(probe.durationS - this.expectDurationS) > 0.25)
      return `expected ${this.expectDurationS.toFixed(2)} s of audio, got ${probe.durationS.toFixed(2)} s`;
    return undefined;
  }
}

/** ffprobe on a temporary file: Ogg's duration needs the last page, which a pipe cannot seek to. */
export async function ffprobe(audio: Buffer): Promise<Probe | undefined> {
  const dir = await mkdtemp(join(tmpdir(), "stt-standin-"));
  try {
    const file = join(dir, "audio");
    await writeFile(file, audio);
    const { stdout } = await run("ffprobe", [
      "-v",
      "error",
      "-show_entries",
      "stream=codec_name,sample_rate,channels:format=format_name,duration",
      "-of",
      "json",
      file,
    ]);
    const parsed = JSON.parse(stdout) as {
      streams?: Array<{ codec_name?: string; sample_rate?: string; channels?: number }>;
      format?: { format_name?: string; duration?: string };
    };
    const stream = parsed.streams?.[0];
    if (!stream || !parsed.format) return undefined;
    return {
      format: parsed.format.format_name ?? "",
      codec: stream.codec_name ?? "",
      sampleRate: Number(stream.sample_rate),
      channels: stream.channels ?? 0,
      durationS: Number(parsed.format.duration),
    };
  } catch {
    return undefined;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function answer(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}
