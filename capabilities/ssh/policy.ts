import { checkArgv } from "../../common/policy";
import type { CallClass } from "../../common/policy/types";
import { normaliseAbsolute, pathAllowed } from "../paths";

/** The bot-side manifest of an SSH-only device; <user> and <home> already substituted. */
export interface SshManifest {
  user: string;
  /** The user's home from the host's account database; absent in manifests made before it was read. */
  home?: string;
  allowedBinaries: readonly string[];
  pathsAllowed: readonly string[];
  maxOutputBytes: number;
  timeoutS: number;
}

/** A path word of argv, checked as given: absolute, normalised, inside paths_allowed. */
export interface SshPathWord {
  index: number;
  prefix: string;
  /** Normalised absolute path. */
  path: string;
}

export type SshArgvDecision =
  | {
      ok: true;
      argv: string[];
      callClass: CallClass;
      form: string;
      paths: SshPathWord[];
      /** The directory the program works on when it is given no path: the user's home. */
      cwd?: string;
    }
  | { ok: false; reason: string; callClass?: CallClass };

/**
 * The most files one call may open (descriptors 3..9: the highest a POSIX sh redirection
 * can name with one digit).
 */
export const MAX_OPENED_PATHS = 7;

/**
 * Decides whether argv may run on an SSH-only device: the shared grammar (common/policy)
 * must accept it as a read, and every path word — positional or option value — must be
 * absolute and inside paths_allowed as given. The real paths are checked again on the
 * host, on the opened descriptors (see remote-script.ts).
 */
export function checkSshArgv(manifest: SshManifest, argv: readonly unknown[]): SshArgvDecision {
  if (!argv.every((a): a is string => typeof a === "string")) {
    return { ok: false, reason: "every argument must be a string" };
  }
  const lineBreak = argv.findIndex((a) => /[\0\r\n]/.test(a));
  if (lineBreak >= 0) {
    return {
      ok: false,
      reason: `argument ${lineBreak} contains a line break or NUL — ssh_exec takes one-line words`,
    };
  }
  const verdict = checkArgv("linux", manifest.allowedBinaries, argv);
  if (!verdict.ok) return { ok: false, reason: verdict.reason };
  if (verdict.callClass !== "read") {
    return {
      ok: false,
      callClass: verdict.callClass,
      reason: `${verdict.form} is a ${verdict.callClass} call, and an SSH-only device only reads`,
    };
  }
  const paths: SshPathWord[] = [];
  for (const word of verdict.paths) {
    const problem = pathProblem(word.value, manifest.pathsAllowed);
    if (problem) return { ok: false, reason: problem };
    paths.push({ index: word.index, prefix: word.prefix, path: normaliseAbsolute(word.value)! });
  }
  let cwd: string | undefined;
  if (verdict.usesCwd) {
    if (!manifest.home) {
      return {
        ok: false,
        reason: `${argv[0]} without a path works on the current directory, and this device's home directory is not known — give an absolute path (or re-add the device)`,
      };
    }
    const problem = pathProblem(manifest.home, manifest.pathsAllowed);
    if (problem) {
      return {
        ok: false,
        reason: `${argv[0]} without a path works on the home directory ${manifest.home}, which is outside paths_allowed — give an absolute path`,
      };
    }
    cwd = normaliseAbsolute(manifest.home);
  }
  if (paths.length + (cwd ? 1 : 0) > MAX_OPENED_PATHS) {
    return { ok: false, reason: `at most ${MAX_OPENED_PATHS} paths in one call` };
  }
  return { ok: true, argv: [...argv], callClass: "read", form: verdict.form, paths, ...(cwd ? { cwd } : {}) };
}

/** Why a path as given may not be used; undefined when it may (the host checks its real path too). */
export function pathProblem(path: string, pathsAllowed: readonly string[]): string | undefined {
  if (hasControlCharacter(path)) return `the path ${JSON.stringify(path)} contains a control character`;
  const normal = normaliseAbsolute(path);
  if (!normal) return `"${path}" is a relative path — give an absolute path (starting with /)`;
  if (!pathAllowed(normal, pathsAllowed)) {
    return `${normal} is outside paths_allowed (${pathsAllowed.join(", ")})`;
  }
  return undefined;
}

export function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}
