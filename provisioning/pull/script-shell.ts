import { randomBytes } from "node:crypto";
import { shellQuote } from "../../ssh/quote";
import type { RunOptions, Shell, ShellResult } from "../wg/shell";

/**
 * A Shell that runs nothing: it writes each command an OS adapter sends into a script, so
 * the install a PC runs itself (pull, bundles) is the very commands push sends over SSH.
 * Only for adapter methods that write and start things — a command whose output the
 * adapter reads would see "" here, so callers never use it for checks.
 */
export interface ScriptLines {
  readonly lines: string[];
}

/** Text the script fills in on the PC (the private key, which never leaves it). */
export type Placeholders = Readonly<Record<string, string>>;

const OK: ShellResult = { exitCode: 0, stdout: "", stderr: "" };

/** POSIX sh. `as`: "root" runs the command as is, "user" through the script's as_user function. */
export class ShScriptShell implements Shell, ScriptLines {
  readonly lines: string[] = [];

  constructor(
    readonly where: string,
    private readonly as: "root" | "user",
    private readonly placeholders: Placeholders = {},
    /** "fail": a failing command ends the script through mp_fail; "ignore": cleanup goes on. */
    private readonly onError: "fail" | "ignore" = "fail",
  ) {}

  run(command: string, options: RunOptions = {}): Promise<ShellResult> {
    const input = textInput(options);
    const what = `step ${this.lines.length + 1} (${firstWords(command)})`;
    const orElse = this.onError === "fail" ? `mp_fail ${shellQuote([what])}` : "true";
    const run = this.as === "root" ? `( ${command} )` : `as_user ${shellQuote([command])}`;
    if (input === undefined) {
      this.lines.push(`${run} </dev/null || ${orElse}`);
      return Promise.resolve(OK);
    }
    const tag = heredocTag(input);
    const filled = Object.entries(this.placeholders).filter(([key]) => input.includes(key));
    // sed fills placeholders on the PC; the values are base64 keys, safe between | delimiters.
    const feed = filled.length
      ? `sed ${filled.map(([k, v]) => `-e "s|${k}|${v}|"`).join(" ")} <<'${tag}' | ${run}`
      : `${run} <<'${tag}'`;
    this.lines.push(`${feed} || ${orElse}\n${withNewline(input)}${tag}`);
    return Promise.resolve(OK);
  }
}

/** PowerShell: each adapter command is a native command line (powershell -EncodedCommand …). */
export class PsScriptShell implements Shell, ScriptLines {
  readonly lines: string[] = [];

  constructor(
    readonly where: string,
    private readonly placeholders: Placeholders = {},
  ) {}

  run(command: string, options: RunOptions = {}): Promise<ShellResult> {
    const what = `step ${this.lines.length + 1}`;
    const check = `if ($LASTEXITCODE -ne 0) { Fail-Enroll '${what}' }`;
    if (options.input === undefined) {
      this.lines.push(`${command}\n${check}`);
      return Promise.resolve(OK);
    }
    if (typeof options.input !== "string" && !Buffer.isBuffer(options.input))
      throw new Error("a script cannot carry a stream — the PC downloads the executable instead");
    // PowerShell 5 re-encodes what it pipes into a native command, so the bytes go into a
    // file and cmd.exe's < hands them over unchanged (a UTF-16 task XML stays UTF-16).
    const bytes = Buffer.isBuffer(options.input) ? options.input : Buffer.from(options.input, "utf8");
    const b64 = bytes.toString("base64");
    const filled = Object.entries(this.placeholders).filter(([key]) => bytes.includes(key));
    const write = filled.length
      ? `[IO.File]::WriteAllText($mpIn, [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String('${b64}'))${filled.map(([k, v]) => `.Replace('${k}', ${v})`).join("")})`
      : `[IO.File]::WriteAllBytes($mpIn, [Convert]::FromBase64String('${b64}'))`;
    if (/[&|<>^%"']/.test(command)) throw new Error("the command cannot go through cmd.exe unquoted");
    this.lines.push(
      [
        "$mpIn = [IO.Path]::GetTempFileName()",
        write,
        `cmd /c ('${command} < "{0}"' -f $mpIn)`,
        "$mpCode = $LASTEXITCODE; Remove-Item $mpIn",
        `if ($mpCode -ne 0) { Fail-Enroll '${what}' }`,
      ].join("\n"),
    );
    return Promise.resolve(OK);
  }
}

function textInput(options: RunOptions): string | undefined {
  const input = options.input;
  if (input === undefined || typeof input === "string") return input;
  if (Buffer.isBuffer(input)) return input.toString("utf8");
  throw new Error("a script cannot carry a stream — the PC downloads the executable instead");
}

function heredocTag(input: string): string {
  for (;;) {
    const tag = `MESHPILOT_${randomBytes(6).toString("hex").toUpperCase()}`;
    if (!input.includes(tag)) return tag;
  }
}

function withNewline(text: string): string {
  return text.endsWith("\n") ? text : `${text}\n`;
}

function firstWords(command: string): string {
  return command
    .replace(/SUDO="";[^;]*;\s*/g, "")
    .replace(/\$SUDO\s+/g, "")
    .split(/[;&|]/)[0]!
    .trim()
    .slice(0, 40);
}
