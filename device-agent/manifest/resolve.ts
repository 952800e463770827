import { realpath } from "node:fs/promises";
import { basename, dirname, isAbsolute, join, resolve } from "node:path";

/**
 * Where a requested path really is: symlinks followed, `..` folded. A path that does not
 * exist yet (a file about to be written) resolves through its nearest existing ancestor,
 * so a new file under a symlinked directory is checked where it will actually land.
 * Uses the host's own path rules (this runs on the device).
 */
export async function resolveRealPath(requested: string): Promise<string> {
  if (!isAbsolute(requested)) throw new PathError("the path must be absolute");
  if (requested.includes("\0")) throw new PathError("the path contains a NUL byte");
  let current = resolve(requested);
  const rest: string[] = [];
  for (;;) {
    try {
      const real = await realpath(current);
      return rest.length === 0 ? real : join(real, ...rest.reverse());
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // ENOENT: not there yet, try the parent. Anything else (a loop, no permission) refuses.
      if (code !== "ENOENT" && code !== "ENOTDIR") throw new PathError(`cannot resolve the path (${code})`);
      const parent = dirname(current);
      if (parent === current) throw new PathError("no part of the path exists");
      rest.push(basename(current));
      current = parent;
    }
  }
}

export class PathError extends Error {}
