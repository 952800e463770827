import type { Client } from "ssh2";

export interface ExecOptions {
  timeoutMs: number;
  /** Bytes kept of stdout (and separately of stderr); the rest is counted, not kept. */
  maxBytes: number;
  /** Sent as the command's standard input, then end of file (none: end of file at once). */
  input?: string | Buffer | NodeJS.ReadableStream;
}

export interface ExecResult {
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  /** Total bytes the command wrote, kept or not. */
  bytes: number;
  truncated: boolean;
  timedOut: boolean;
}

/** Runs one command string on an open connection, with caps on time and output. */
export function execRemote(client: Client, command: string, options: ExecOptions): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    client.exec(command, (error, stream) => {
      if (error) return reject(error);
      const out = new CappedBuffer(options.maxBytes);
      const err = new CappedBuffer(options.maxBytes);
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        stream.close();
      }, options.timeoutMs);
      const input = options.input;
      if (input === undefined) stream.end();
      else if (typeof input === "string" || Buffer.isBuffer(input)) stream.end(input);
      else input.pipe(stream);
      stream.on("data", (chunk: Buffer) => out.push(chunk));
      stream.stderr.on("data", (chunk: Buffer) => err.push(chunk));
      stream.on("close", (code: number | null, signal: string | null) => {
        clearTimeout(timer);
        resolve({
          exitCode: typeof code === "number" ? code : null,
          signal: signal ?? null,
          stdout: out.text(),
          stderr: err.text(),
          bytes: out.total + err.total,
          truncated: out.truncated || err.truncated,
          timedOut,
        });
      });
    });
  });
}

class CappedBuffer {
  private readonly chunks: Buffer[] = [];
  private kept = 0;
  total = 0;
  truncated = false;

  constructor(private readonly max: number) {}

  push(chunk: Buffer): void {
    this.total += chunk.length;
    const room = this.max - this.kept;
    if (room <= 0) {
      this.truncated = true;
      return;
    }
    const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
    if (part.length < chunk.length) this.truncated = true;
    this.chunks.push(part);
    this.kept += part.length;
  }

  text(): string {
    return Buffer.concat(this.chunks).toString("utf8");
  }
}
