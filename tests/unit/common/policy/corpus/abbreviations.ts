/** GNU getopt_long expands unambiguous prefixes; the policy must refuse them, never expand. */
import { abbreviations, type Escape } from "./entry";

export const ABBREVIATIONS: readonly Escape[] = [
  ...abbreviations("ss", ["--diag", "--kill", "--filter", "--net"]),
  ...abbreviations("date", ["--file", "--set", "--reference"]),
  ...abbreviations("wc", ["--files0-from"]),
  ...abbreviations("du", ["--files0-from", "--exclude-from", "--dereference"], ["--exclude"]),
  ...abbreviations("tail", ["--follow", "--retry", "--pid", "--sleep-interval"]),
  ...abbreviations("grep", ["--dereference-recursive", "--exclude-from", "--devices"], ["--exclude"]),
  ...abbreviations("journalctl", [
    "--file",
    "--directory",
    "--vacuum-size",
    "--rotate",
    "--flush",
    "--follow",
  ]),
  ...abbreviations("journalctl", ["--setup-keys", "--cursor-file", "--root"]),
  ...abbreviations("hostname", ["--file", "--boot"]),
  ...abbreviations("systemctl", ["--host", "--machine", "--root"]),
  ...abbreviations("ls", ["--dereference"]),
  ...abbreviations("stat", ["--dereference"]),
  ...abbreviations("free", ["--seconds", "--count"]),
];
