import { posix, win32 } from "node:path";

/**
 * Path rules of the manifest as pure functions, so the Windows rules (case-insensitive,
 * either slash) are testable on any OS. They compare paths that were already resolved
 * to their real location (see resolve.ts): a lexical check alone would let a symlink
 * inside an allowed directory point anywhere.
 */
export type PathFlavor = "posix" | "windows";

/**
 * The form paths are compared in: absolute, normalised, `..` folded away; on Windows
 * backslashes and lower case. Undefined for a relative path or one with a NUL byte.
 */
export function canonicalPath(flavor: PathFlavor, path: string): string | undefined {
  if (path.includes("\0")) return undefined;
  if (flavor === "posix") {
    if (!path.startsWith("/")) return undefined;
    const normal = posix.normalize(path);
    return normal.length > 1 && normal.endsWith("/") ? normal.slice(0, -1) : normal;
  }
  const slashed = path.replace(/\//g, "\\");
  // Drive-absolute (C:\...) or UNC (\\server\share\...); "C:foo" and "\foo" depend on state we do not share.
  if (!/^[A-Za-z]:\\/.test(slashed) && !/^\\\\[^\\]+\\[^\\]+/.test(slashed)) return undefined;
  const normal = win32.normalize(slashed).toLowerCase();
  return normal.length > 3 && normal.endsWith("\\") ? normal.slice(0, -1) : normal;
}

/**
 * A `paths_allowed` glob as a regular expression: `**` matches across separators, `*` and
 * `?` within one segment; a trailing `/**` also matches the directory itself.
 */
export function globToRegExp(flavor: PathFlavor, glob: string): RegExp {
  const sep = flavor === "posix" ? "/" : "\\";
  const text = flavor === "posix" ? glob : glob.replace(/\//g, "\\").toLowerCase();
  const sepClass = flavor === "posix" ? "/" : "\\\\";
  let source = "";
  let i = 0;
  while (i < text.length) {
    if (text.startsWith(`${sep}**`, i) && i + 3 === text.length) {
      source += `(?:${sepClass}.*)?`;
      i += 3;
    } else if (text.startsWith("**", i)) {
      source += ".*";
      i += 2;
    } else if (text[i] === "*") {
      source += `[^${sepClass}]*`;
      i += 1;
    } else if (text[i] === "?") {
      source += `[^${sepClass}]`;
      i += 1;
    } else {
      source += text[i]!.replace(/[.+^${}()|[\]\\]/g, "\\$&");
      i += 1;
    }
  }
  return new RegExp(`^${source}$`);
}

/** True when the (already real) path is inside one of the globs. */
export function pathAllowed(flavor: PathFlavor, realPath: string, globs: readonly string[]): boolean {
  const path = canonicalPath(flavor, realPath);
  if (path === undefined) return false;
  return globs.some((glob) => globToRegExp(flavor, glob).test(path));
}

/**
 * Whether argv[0] of `shell.exec` is allowed. A bare name ("git") matches a bare entry and
 * is found through the agent's own PATH; a path matches only the same path. On Windows the
 * comparison ignores case, slash direction and a trailing ".exe".
 */
export function binaryAllowed(flavor: PathFlavor, argv0: string, allowed: readonly string[]): boolean {
  const form = (value: string): string =>
    flavor === "posix"
      ? value
      : value
          .replace(/\//g, "\\")
          .toLowerCase()
          .replace(/\.exe$/, "");
  const hasSep = (value: string): boolean => (flavor === "posix" ? value.includes("/") : /[\\/]/.test(value));
  if (argv0.length === 0 || argv0.includes("\0")) return false;
  const wanted = form(argv0);
  return allowed.some((entry) => hasSep(entry) === hasSep(argv0) && form(entry) === wanted);
}
