import { spawn } from "node:child_process";
import type { ExecOptions, ExecResult } from "../../../../ssh/exec";

/**
 * A stand-in for SshPool that runs the command with the local sh, as sshd would run it
 * through the user's shell: the bot's script and parsing, for real, without SSH.
 */
export function localPool(): {
  pool: { exec(target: unknown, command: string, options: ExecOptions): Promise<ExecResult> };
  commands: string[];
} {
  const commands: string[] = [];
  const exec = (_target: unknown, command: string, options: ExecOptions): Promise<ExecResult> => {
    commands.push(command);
    return new Promise((resolve, reject) => {
      const child = spawn("sh", ["-c", command], { stdio: ["ignore", "pipe", "pipe"] });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        child.kill("SIGKILL");
      }, options.timeoutMs);
      child.stdout.on("data", (chunk: Buffer) => out.push(chunk));
      child.stderr.on("data", (chunk: Buffer) => err.push(chunk));
      child.on("error", reject);
      child.on("close", (code, signal) => {
        clearTimeout(timer);
        const stdout = Buffer.concat(out);
        const stderr = Buffer.concat(err);
        resolve({
          exitCode: code,
          signal,
          stdout: stdout.subarray(0, options.maxBytes).toString("utf8"),
          stderr: stderr.subarray(0, options.maxBytes).toString("utf8"),
          bytes: stdout.length + stderr.length,
          truncated: stdout.length > options.maxBytes || stderr.length > options.maxBytes,
          timedOut,
        });
      });
    });
  };
  return { pool: { exec }, commands };
}
