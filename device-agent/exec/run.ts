import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import type { Platform } from "../platform";

export interface RunOptions {
  cwd: string;
  timeoutMs: number;
  /** Cap for stdout and for stderr, each; the rest is counted but not kept. */
  outputBytes: number;
  platform: Platform;
  env?: NodeJS.ProcessEnv;
}

export interface RunResult {
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  truncated: boolean;
  timedOut: boolean;
  /** Bytes the process wrote, kept or not. */
  bytes: number;
  durationMs: number;
  /** Set when the program could not be started (not found, not executable). */
  spawnError?: string;
}

/** Keeps the first `cap` bytes of a stream and counts the rest. */
class CappedBuffer {
  private readonly chunks: Buffer[] = [];
  private kept = 0;
  total = 0;

  constructor(private readonly cap: number) {}

  push(chunk: Buffer): void {
    this.total += chunk.length;
    if (this.kept >= this.cap) return;
    const room = this.cap - this.kept;
    const part = chunk.length <= room ? chunk : chunk.subarray(0, room);
    this.chunks.push(part);
    this.kept += part.length;
  }

  get truncated(): boolean {
    return this.total > this.kept;
  }

  text(): string {
    return Buffer.concat(this.chunks).toString("utf8");
  }
}

/**
 * Runs argv directly (no shell), capping output and enforcing a time limit. On timeout the
 * whole tree goes: on POSIX the child leads its own process group and the group is killed;
 * on Windows taskkill /T walks the tree. Resolves when every pipe has closed.
 */
export function runProcess(argv: readonly string[], options: RunOptions): Promise<RunResult> {
  const started = performance.now();
  const stdout = new CappedBuffer(options.outputBytes);
  const stderr = new CappedBuffer(options.outputBytes);
  const [file, ...args] = argv;
  return new Promise((resolve) => {
    let timedOut = false;
    let done = false;
    let grace: NodeJS.Timeout | undefined;
    let spawnError: string | undefined;
    const finish = (exitCode: number | null, signal: string | null): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      clearTimeout(grace);
      resolve({
        exitCode,
        signal,
        stdout: stdout.text(),
        stderr: stderr.text(),
        truncated: stdout.truncated || stderr.truncated,
        timedOut,
        bytes: stdout.total + stderr.total,
        durationMs: performance.now() - started,
        ...(spawnError !== undefined ? { spawnError } : {}),
      });
    };
    const child = spawn(file ?? "", args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ["ignore", "pipe", "pipe"],
      detached: options.platform.detachChildren,
      windowsHide: true,
    });
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid !== undefined) options.platform.killTree(child.pid);
      // A grandchild that left the group (setsid) can keep the pipes open: stop waiting for it.
      grace = setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
        finish(child.exitCode, child.signalCode);
      }, 2000);
    }, options.timeoutMs);
    child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
    child.once("error", (error: NodeJS.ErrnoException) => {
      // spawn says ENOENT for a missing cwd too: say which one is missing.
      spawnError =
        error.code === "ENOENT"
          ? existsSync(options.cwd)
            ? `${file} was not found`
            : `the working directory ${options.cwd} does not exist`
          : error.message;
      finish(null, null);
    });
    child.once("close", (code, signal) => finish(code, signal));
  });
}
