import { posix } from "node:path";

/**
 * Glob matching for paths_allowed on POSIX paths: `**` crosses directories, `*` and `?`
 * do not; "dir/**" also matches dir itself. Paths must already be absolute, normalised
 * and resolved (no symlinks) — matching is only as good as the resolution before it.
 */
export function globToRegExp(glob: string): RegExp {
  let source = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === "*" && glob[i + 1] === "*") {
      const slashBefore = source.endsWith("/");
      source = slashBefore ? `${source.slice(0, -1)}(?:/.*)?` : `${source}.*`;
      i++;
      if (glob[i + 1] === "/") i++;
    } else if (c === "*") source += "[^/]*";
    else if (c === "?") source += "[^/]";
    else source += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${source}$`);
}

export function pathAllowed(path: string, globs: readonly string[]): boolean {
  return globs.some((glob) => globToRegExp(glob).test(path));
}

/** Absolute, normalised, without a trailing slash; undefined for a relative path. */
export function normaliseAbsolute(path: string): string | undefined {
  if (!path.startsWith("/")) return undefined;
  const normal = posix.normalize(path);
  return normal.length > 1 ? normal.replace(/\/+$/, "") : normal;
}
