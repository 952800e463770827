/**
 * Windows: a few fixed forms. Names compare without case and may end in ".exe"; options
 * are whole words ("/all"). No program here takes free text, so no word can carry
 * cmd.exe metacharacters into a command line.
 */
import { flag, opt } from "../grammar";
import type { FormSpec, GetoptProgram, OptionSpec } from "../grammar";

function win(
  name: string,
  options: OptionSpec[],
  forms: ReadonlyArray<readonly string[]>,
  reason: string,
  synopsis?: string,
): GetoptProgram {
  return {
    kind: "getopt",
    name,
    style: "words",
    dashDash: false,
    caseless: true,
    ...(synopsis ? { synopsis } : {}),
    options,
    forms: forms.map((opts): FormSpec => ({
      callClass: "read",
      verb: [],
      options: opts,
      positionals: [],
      reason,
    })),
  };
}

export const WINDOWS_PROGRAMS: readonly GetoptProgram[] = [
  win("hostname", [], [[]], "hostname only prints the host's name"),
  win(
    "whoami",
    ["/user", "/groups", "/priv", "/all"].map((n) => flag(n)),
    [[], ["/user"], ["/groups"], ["/priv"], ["/all"]],
    "whoami only prints the user's identity",
    "whoami [/user | /groups | /priv | /all]",
  ),
  // Not /release, /renew, /flushdns or /registerdns: those change the network state.
  win("ipconfig", [flag("/all")], [["/all"]], "ipconfig /all only reads"),
  win("systeminfo", [], [[]], "systeminfo only reads"),
  // Not /s (a remote system) or /fi (free filter text).
  win(
    "tasklist",
    [
      flag("/v"),
      flag("/svc"),
      flag("/nh"),
      opt(["/fo"], { kind: "enum", values: ["table", "list", "csv"], caseless: true }, "FORMAT"),
    ],
    [
      ["/v", "/nh", "/fo"],
      ["/svc", "/nh", "/fo"],
    ],
    "tasklist only lists processes",
    "tasklist [/v | /svc] [/nh] [/fo table|list|csv]",
  ),
];
