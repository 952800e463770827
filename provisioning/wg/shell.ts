import { spawn } from "node:child_process";
import type { Client } from "ssh2";
import { UserError } from "../../common/errors";
import { execRemote } from "../../ssh/exec";

export interface ShellResult {
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  input?: string | Buffer | NodeJS.ReadableStream;
  timeoutMs?: number;
}

/**
 * Where provisioning runs commands: the target over SSH, or the hub (locally, or over
 * SSH). Commands are POSIX sh strings built by this module's callers from quoted parts.
 */
export interface Shell {
  readonly where: string;
  run(command: string, options?: RunOptions): Promise<ShellResult>;
}

/** Runs a command and insists on success; the error carries what the command said. */
export async function mustRun(
  shell: Shell,
  command: string,
  what: string,
  options?: RunOptions,
): Promise<string> {
  const result = await shell.run(command, options);
  if (result.exitCode !== 0) {
    const said = (result.stderr || result.stdout).trim().split("\n").slice(-3).join(" / ");
    throw new UserError(
      `${what} failed on ${shell.where} (exit ${result.exitCode ?? "?"}${said ? `: ${said}` : ""})`,
    );
  }
  return result.stdout;
}

export class SshShell implements Shell {
  constructor(
    readonly where: string,
    private readonly client: Client,
  ) {}

  async run(command: string, options: RunOptions = {}): Promise<ShellResult> {
    const result = await execRemote(this.client, command, {
      timeoutMs: options.timeoutMs ?? 120_000,
      maxBytes: 256 * 1024,
      ...(options.input !== undefined ? { input: options.input } : {}),
    });
    return {
      exitCode: result.timedOut ? null : result.exitCode,
      stdout: result.stdout,
      stderr: result.stderr,
    };
  }

  close(): void {
    this.client.end();
  }
}

/** The hub when the bot runs on it. */
export class LocalShell implements Shell {
  readonly where = "the hub";

  run(command: string, options: RunOptions = {}): Promise<ShellResult> {
    return new Promise((resolve, reject) => {
      const child = spawn("sh", ["-c", command], {
        stdio: ["pipe", "pipe", "pipe"],
        timeout: options.timeoutMs ?? 120_000,
      });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
      child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
      child.on("error", reject);
      child.on("close", (code) => resolve({ exitCode: code, stdout, stderr }));
      const input = options.input;
      if (input === undefined) child.stdin.end();
      else if (typeof input === "string" || Buffer.isBuffer(input)) child.stdin.end(input);
      else input.pipe(child.stdin);
    });
  }
}

/** An SSH shell that connects on first use and again after a drop (the hub in ssh mode). */
export class LazySshShell implements Shell {
  private client: Promise<Client> | undefined;

  constructor(
    readonly where: string,
    private readonly connect: () => Promise<Client>,
  ) {}

  async run(command: string, options: RunOptions = {}): Promise<ShellResult> {
    if (!this.client) {
      const opening = this.connect();
      this.client = opening;
      opening.then(
        (c) => c.once("close", () => this.client === opening && (this.client = undefined)),
        () => this.client === opening && (this.client = undefined),
      );
    }
    return new SshShell(this.where, await this.client).run(command, options);
  }

  close(): void {
    void this.client?.then(
      (c) => c.end(),
      () => undefined,
    );
    this.client = undefined;
  }
}
