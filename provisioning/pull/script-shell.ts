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
    const input = textInput(options);
    const what = `step ${this.lines.length + 1}`;
    const check = `if ($LASTEXITCODE -ne 0) { Fail-Enroll '${what}' }`;
    if (input === undefined) {
      this.lines.push(`${command}\n${check}`);
      return Promise.resolve(OK);
    }
    if (/^'@/m.test(input)) throw new Error("the text cannot go into a PowerShell here-string");
    let feed = `@'\n${input.replace(/\n$/, "")}\n'@`;
    for (const [key, value] of Object.entries(this.placeholders))
      if (input.includes(key)) feed = `(${feed}).Replace('${key}', ${value})`;
    this.lines.push(`${feed} | ${command}\n${check}`);
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
