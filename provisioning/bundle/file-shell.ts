import { basename } from "node:path";
import { shellQuote } from "../../ssh/quote";
import type { RunOptions, Shell, ShellResult } from "../wg/shell";

/**
 * The bundle's files: every text an adapter command reads on stdin becomes a file in the
 * archive, and the install script feeds it from there. So install.sh holds commands only —
 * the private key, the agent secret and the configs are files the operator can see.
 */
export class BundleFiles {
  readonly files = new Map<string, string>();

  /** `paths` name the files: a command that writes one of them names its input after it. */
  constructor(private readonly paths: readonly string[]) {}

  /** The file holding `text` (added under the name of the path the command writes). */
  add(command: string, text: string): string {
    for (const [name, held] of this.files) if (held === text) return name;
    const path = this.paths.find((p) => command.includes(p) || command.includes(shellQuote([p])));
    const wanted = path ? basename(path.replace(/\\/g, "/")) : "input";
    let name = wanted;
    for (let n = 2; this.files.has(name); n++) name = `${n}-${wanted}`;
    this.files.set(name, text);
    return name;
  }
}

const OK: ShellResult = { exitCode: 0, stdout: "", stderr: "" };

/**
 * A recording shell like pull's ShScriptShell, but a command's input comes from a bundle
 * file (`< "$MP_DIR/name"`) instead of a here-document. "root" runs as is, "user" through
 * the script's as_user; "fail" ends the script through mp_fail, "ignore" goes on (cleanup).
 */
export class FileFedShell implements Shell {
  readonly lines: string[] = [];

  constructor(
    readonly where: string,
    private readonly as: "root" | "user",
    private readonly files: BundleFiles,
    private readonly onError: "fail" | "ignore" = "fail",
  ) {}

  run(command: string, options: RunOptions = {}): Promise<ShellResult> {
    const input = options.input;
    if (input !== undefined && typeof input !== "string")
      throw new Error("a bundle script feeds text files only — the agent is copied by its own line");
    const what = `step ${this.lines.length + 1} (${firstWords(command)})`;
    const orElse = this.onError === "fail" ? `mp_fail ${shellQuote([what])}` : "true";
    const run = this.as === "root" ? `( ${command} )` : `as_user ${shellQuote([command])}`;
    const from =
      input === undefined ? "/dev/null" : `"$MP_DIR"/${shellQuote([this.files.add(command, input)])}`;
    this.lines.push(`${run} < ${from} || ${orElse}`);
    return Promise.resolve(OK);
  }
}

function firstWords(command: string): string {
  return command
    .replace(/SUDO="";[^;]*;\s*/g, "")
    .replace(/\$SUDO\s+/g, "")
    .split(/[;&|]/)[0]!
    .trim()
    .slice(0, 40);
}
