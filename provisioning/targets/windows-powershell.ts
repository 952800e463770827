import { mustRun, type RunOptions, type Shell, type ShellResult } from "../wg/shell";

/**
 * PowerShell over a Windows SSH session. OpenSSH for Windows hands the command line to
 * cmd.exe (or to PowerShell, if the default shell was changed), and each of those has its
 * own quoting; a script passed as -EncodedCommand (base64 of UTF-16LE) is only letters,
 * digits, + / and =, so neither shell interprets any of it and nothing in it needs quoting
 * for the shell. Values inside the script are PowerShell literals from `psQuote`.
 */

export const POWERSHELL_PREFIX = "powershell -NoProfile -NonInteractive -EncodedCommand ";

/**
 * Every script stops at the first failing cmdlet (exit 1, the error on stderr), shows no
 * progress bars (which PowerShell would otherwise serialise onto stderr over SSH), and
 * writes UTF-8 without a BOM (the default is the OEM code page, which mangles a name like
 * José); without a console the encoding cannot be set, hence the try.
 */
export const PRELUDE = [
  "$ErrorActionPreference = 'Stop'",
  "$ProgressPreference = 'SilentlyContinue'",
  "try { [Console]::OutputEncoding = [Text.UTF8Encoding]::new($false) } catch { }",
  "",
].join("\n");

/** cmd.exe refuses command lines over 8191 characters; keep data out of the script (stdin). */
export const MAX_COMMAND_LINE = 8191;

/** base64 of the script's UTF-16LE code units, as powershell -EncodedCommand expects. */
export function encodePowerShell(script: string): string {
  return Buffer.from(script, "utf16le").toString("base64");
}

export function decodePowerShell(encoded: string): string {
  return Buffer.from(encoded, "base64").toString("utf16le");
}

/** The command line that runs `script` (after the prelude) through powershell.exe. */
export function powershellCommand(script: string): string {
  const line = POWERSHELL_PREFIX + encodePowerShell(PRELUDE + script);
  if (line.length > MAX_COMMAND_LINE) {
    throw new Error(
      `a PowerShell script of ${script.length} characters encodes to ${line.length}, over cmd.exe's ${MAX_COMMAND_LINE} — pass its data on stdin`,
    );
  }
  return line;
}

/** The script inside a command line made by `powershellCommand` (without the prelude), for tests and logs. */
export function scriptOf(commandLine: string): string | undefined {
  if (!commandLine.startsWith(POWERSHELL_PREFIX)) return undefined;
  const full = decodePowerShell(commandLine.slice(POWERSHELL_PREFIX.length));
  return full.startsWith(PRELUDE) ? full.slice(PRELUDE.length) : full;
}

/**
 * A single-quoted PowerShell string: nothing inside is expanded, and a quote is doubled.
 * PowerShell also ends single-quoted strings at the typographic quotes ‘ ’ ‚ ‛, so those
 * are doubled too.
 */
export function psQuote(value: string): string {
  if (value.includes("\0")) throw new Error("a PowerShell value contains a NUL character");
  return `'${value.replace(/['\u2018\u2019\u201A\u201B]/g, "$&$&")}'`;
}

/** A PowerShell array literal of quoted strings: @('a', 'b'). */
export function psArray(values: readonly string[]): string {
  return `@(${values.map(psQuote).join(", ")})`;
}

/** Fails the script with the native program's exit code when it did not succeed. */
export function native(line: string): string {
  return `${line}\nif ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }`;
}

/**
 * Runs a native program whose failure does not matter (ending a task that is not
 * running), with its output dropped — in a scope where errors do not stop the script,
 * because Windows PowerShell turns a redirected stderr line into a stopping error.
 */
export function quietly(line: string): string {
  return `& { $ErrorActionPreference = 'Continue'; ${line} 2>&1 | Out-Null }`;
}

/**
 * Copies the script's stdin, byte for byte, into the file at the PowerShell expression
 * `target` (which must already exist or be creatable); stdin is the SSH channel's data.
 */
export function copyStdinTo(target: string): string {
  return [
    "$in = [Console]::OpenStandardInput()",
    `$out = [IO.File]::Open(${target}, [IO.FileMode]::Create, [IO.FileAccess]::Write, [IO.FileShare]::None)`,
    "try { $in.CopyTo($out) } finally { $out.Dispose() }",
  ].join("\n");
}

/** Like `copyStdinTo`, for a gzip on stdin: what lands in the file is the decompressed bytes. */
export function gunzipStdinTo(target: string): string {
  return [
    "$in = New-Object IO.Compression.GZipStream([Console]::OpenStandardInput(), [IO.Compression.CompressionMode]::Decompress)",
    `$out = [IO.File]::Open(${target}, [IO.FileMode]::Create, [IO.FileAccess]::Write, [IO.FileShare]::None)`,
    "try { $in.CopyTo($out) } finally { $out.Dispose(); $in.Dispose() }",
  ].join("\n");
}

export function runPowerShell(shell: Shell, script: string, options?: RunOptions): Promise<ShellResult> {
  return shell.run(powershellCommand(script), options);
}

export function mustRunPowerShell(
  shell: Shell,
  script: string,
  what: string,
  options?: RunOptions,
): Promise<string> {
  return mustRun(shell, powershellCommand(script), what, options);
}

/** The non-empty lines of a Windows program's output, without their \r. */
export function outputLines(stdout: string): string[] {
  return stdout
    .split("\n")
    .map((l) => l.replace(/\r$/, "").trim())
    .filter(Boolean);
}
