import { normaliseAbsolute } from "../paths";

/** The bot-side manifest of an SSH-only device; <user> already substituted. */
export interface SshManifest {
  user: string;
  allowedBinaries: readonly string[];
  pathsAllowed: readonly string[];
  maxOutputBytes: number;
  timeoutS: number;
}

export type ArgvDecision = { ok: true; paths: string[] } | { ok: false; reason: string };

const SHELL_SYNTAX = [";", "$(", "`", "\n", "\r", "\0", "|", "&", ">", "<"];

/** Binaries whose non-flag arguments are paths; values of the listed flags are not. */
const PATH_BINARIES: Record<string, readonly string[]> = {
  ls: ["-I", "--ignore", "-w", "--width", "--time-style", "--sort", "--format"],
  cat: [],
  du: ["-d", "--max-depth", "-t", "--threshold", "--time-style", "--exclude"],
  head: ["-n", "-c", "--lines", "--bytes"],
  tail: ["-n", "-c", "--lines", "--bytes"],
  wc: [],
  stat: ["-c", "--format", "--printf"],
};

const SYSTEMCTL_READING = [
  "status",
  "show",
  "list-units",
  "list-unit-files",
  "list-timers",
  "list-sockets",
  "is-active",
  "is-enabled",
  "is-failed",
  "cat",
  "list-dependencies",
];
const JOURNALCTL_WRITING = [
  "--vacuum",
  "--rotate",
  "--flush",
  "--sync",
  "--relinquish-var",
  "--smart-relinquish-var",
  "--setup-keys",
  "--update-catalog",
  "-f",
  "--follow",
];
const IP_OBJECTS = [
  "addr",
  "address",
  "a",
  "link",
  "l",
  "route",
  "r",
  "ro",
  "neigh",
  "neighbour",
  "n",
  "rule",
  "ru",
  "maddr",
  "m",
];
const IP_READING_ACTIONS = ["show", "list", "ls", "lst", "sh", "s", "get"];
const IP_FLAGS = [
  "-4",
  "-6",
  "-br",
  "-brief",
  "-s",
  "-stats",
  "-d",
  "-details",
  "-j",
  "-json",
  "-p",
  "-pretty",
  "-c",
  "-color",
  "-o",
  "-oneline",
  "-h",
  "-human",
];

/**
 * Decides whether argv may run on an SSH-only device: an allowed binary, no shell syntax
 * in any argument, only the reading forms of binaries that can write, and path arguments
 * returned for the caller to resolve and check against paths_allowed.
 */
export function checkArgv(manifest: SshManifest, argv: readonly unknown[]): ArgvDecision {
  if (argv.length === 0 || argv.length > 64) return refuse("argv must hold 1 to 64 arguments");
  if (!argv.every((a): a is string => typeof a === "string" && a.length <= 4096)) {
    return refuse("every argument must be a string of at most 4096 characters");
  }
  const [binary, ...args] = argv as string[];
  if (!binary || binary.includes("/")) return refuse(`"${binary}" is not a bare binary name`);
  if (!manifest.allowedBinaries.includes(binary)) {
    return refuse(
      `${binary} is not an allowed binary on this device (allowed: ${manifest.allowedBinaries.join(" ")})`,
    );
  }
  for (const [i, arg] of args.entries()) {
    const bad = SHELL_SYNTAX.find((s) => arg.includes(s));
    if (bad)
      return refuse(
        `argument ${i + 1} contains ${JSON.stringify(bad)} — ssh_exec takes plain arguments, no shell syntax`,
      );
  }
  const readOnly = readOnlyForm(binary, args);
  if (readOnly) return refuse(readOnly);
  if (!(binary in PATH_BINARIES)) return { ok: true, paths: [] };
  const paths: string[] = [];
  const valueFlags = PATH_BINARIES[binary]!;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg.startsWith("-")) {
      if (/files0-from|--from-file/.test(arg))
        return refuse(`${arg} reads a file list, which is not allowed`);
      if (valueFlags.includes(arg)) i++;
      continue;
    }
    const normal = normaliseAbsolute(arg);
    if (!normal) return refuse(`"${arg}" is a relative path — give an absolute path`);
    paths.push(normal);
  }
  return { ok: true, paths };
}

/** Why this use of a binary that can write is refused; undefined when it only reads. */
function readOnlyForm(binary: string, args: readonly string[]): string | undefined {
  const positional = args.filter((a) => !a.startsWith("-"));
  switch (binary) {
    case "systemctl": {
      const sub = positional[0];
      if (sub && !SYSTEMCTL_READING.includes(sub))
        return `systemctl ${sub} can change the system; allowed: ${SYSTEMCTL_READING.join(", ")}`;
      return undefined;
    }
    case "journalctl": {
      const bad = args.find(
        (a) =>
          JOURNALCTL_WRITING.some((w) => a === w || (w.startsWith("--") && a.startsWith(w))) ||
          /^-[a-zA-Z]*f/.test(a),
      );
      return bad ? `journalctl ${bad} changes the journal or never ends; reading options only` : undefined;
    }
    case "ip": {
      const firstPositional = args.findIndex((a) => !a.startsWith("-"));
      const flags = firstPositional < 0 ? args : args.slice(0, firstPositional);
      const badFlag = flags.find((f) => !IP_FLAGS.includes(f));
      if (badFlag) return `ip ${badFlag} is not allowed; reading flags only (${IP_FLAGS.join(" ")})`;
      const [object, action] = positional;
      if (!object || !IP_OBJECTS.includes(object)) return `ip needs one of ${IP_OBJECTS.join(", ")}`;
      if (action && !IP_READING_ACTIONS.includes(action))
        return `ip ${object} ${action} can change the network; use show`;
      return undefined;
    }
    case "ss":
      return args.some((a) => /^-[a-zA-Z]*[KDF]|^--(kill|diag|filter)/.test(a))
        ? "ss -K/-D/-F (kill, dump, filter file) are not allowed"
        : undefined;
    case "hostname":
      return positional.length > 0 ? "hostname with an argument would rename the machine" : undefined;
    case "date":
      return args.some((a) => a === "-s" || a.startsWith("--set")) ||
        positional.some((p) => !p.startsWith("+"))
        ? "date may only print (+FORMAT), not set the clock"
        : undefined;
    default:
      return undefined;
  }
}

function refuse(reason: string): ArgvDecision {
  return { ok: false, reason };
}
