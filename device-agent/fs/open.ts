import { constants, type Stats } from "node:fs";
import { lstat, open, realpath, stat, type FileHandle } from "node:fs/promises";
import { isAbsolute, resolve } from "node:path";
import { resolveRealPath } from "../manifest/resolve";
import type { Platform } from "../platform";
import { RefusalError, type Policy } from "../policy";

/**
 * Open first, then check what was opened, then use the descriptor: never check a name and
 * open it again (a directory swapped for a symlink in between would be read outside the
 * allowed paths). On Linux the real path comes from the descriptor itself
 * (/proc/self/fd/N). Elsewhere realpath(name) is taken and must be the same object as the
 * descriptor (device and inode): a swap in between makes them differ, and the call is
 * refused.
 */
export interface OpenedPath {
  handle: FileHandle;
  /** Where the descriptor really is; checked against paths_allowed. */
  real: string;
  /** A name that reaches the same object without resolving the requested path again. */
  via: string;
  info: Stats;
}

export interface FsAccess {
  policy: Policy;
  platform: Platform;
}

/** An ordinary failure (not there, not a directory): the call ran and says so. */
export class PathFailure extends Error {}

const flag = (name: "O_NOFOLLOW" | "O_NONBLOCK" | "O_DIRECTORY"): number =>
  (constants as Record<string, number | undefined>)[name] ?? 0;
/** O_NOFOLLOW: the last component is never a symlink; O_NONBLOCK: a FIFO cannot hang the open. */
export const OPEN_FLAGS = {
  noFollow: flag("O_NOFOLLOW"),
  nonBlock: flag("O_NONBLOCK"),
  directory: flag("O_DIRECTORY"),
};

/** The absolute form of a requested path (relative ones only when a checked base is given). */
export function absolutePath(requested: string, base?: string): string {
  if (requested.includes("\0")) {
    throw new RefusalError({ code: "path_not_allowed", message: "the path contains a NUL byte" });
  }
  if (isAbsolute(requested)) return requested;
  if (base !== undefined) return resolve(base, requested);
  throw new RefusalError({ code: "path_not_allowed", message: `${requested}: the path must be absolute` });
}

/**
 * Opens `requested` read-only and checks where the descriptor really is. `kind` says what
 * it must be; "any" takes a file or a directory (path words of shell.exec). The caller
 * closes `handle`.
 */
export async function openChecked(
  access: FsAccess,
  requested: string,
  kind: "file" | "dir" | "any",
  base?: string,
): Promise<OpenedPath> {
  let opened: OpenedPath;
  try {
    opened = await openReal(access.platform, requested, kind, base);
  } catch (error) {
    // "does not exist" or "permission denied" about a path outside would tell the caller what
    // exists outside: judge where the path would be (its nearest existing ancestor, real) first.
    if (error instanceof PathFailure) await refuseIfOutside(access, requested, base);
    throw error;
  }
  try {
    access.policy.checkReal(requested, opened.real);
    if (kind === "file" && !opened.info.isFile()) throw new PathFailure(`${requested} is not a regular file`);
    return opened;
  } catch (error) {
    await opened.handle.close();
    throw error;
  }
}

async function refuseIfOutside(access: FsAccess, requested: string, base?: string): Promise<void> {
  let real: string;
  try {
    real = await resolveRealPath(absolutePath(requested, base));
  } catch {
    real = absolutePath(requested, base);
  }
  access.policy.checkReal(requested, real);
}

/**
 * Opens and finds the descriptor's real path, without judging it (fs.write judges the
 * file it will create in the directory, not the directory).
 */
export async function openReal(
  platform: Platform,
  requested: string,
  kind: "file" | "dir" | "any",
  base?: string,
): Promise<OpenedPath> {
  const path = absolutePath(requested, base);
  const flags =
    constants.O_RDONLY |
    OPEN_FLAGS.noFollow |
    OPEN_FLAGS.nonBlock |
    (kind === "dir" ? OPEN_FLAGS.directory : 0);
  const handle = await openFollowingOnce(path, flags, requested, kind);
  try {
    const info = await handle.stat();
    if (kind === "dir" && !info.isDirectory()) throw new PathFailure(`${requested} is not a directory`);
    const real = await descriptorRealPath(platform, handle, info, path);
    return { handle, real, via: platform.fdPath(handle.fd) ?? real, info };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/**
 * Opens with O_NOFOLLOW. A symlink as the last component (ELOOP) is resolved once and its
 * target opened the same way: whatever the target is, the descriptor's real path is what
 * gets checked, so following here is safe.
 */
async function openFollowingOnce(
  path: string,
  flags: number,
  requested: string,
  kind: "file" | "dir" | "any",
): Promise<FileHandle> {
  try {
    return await open(path, flags);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // Linux says ENOTDIR (not ELOOP) for a symlink opened with O_NOFOLLOW|O_DIRECTORY.
    const maybeLink = code === "ELOOP" || code === "EMLINK" || code === "ENOTDIR";
    if (!maybeLink || !(await lstat(path).catch(() => undefined))?.isSymbolicLink()) {
      throw failureFor(error, requested, kind);
    }
    try {
      return await open(await realpath(path), flags);
    } catch (inner) {
      throw failureFor(inner, requested, kind);
    }
  }
}

function failureFor(error: unknown, requested: string, kind: "file" | "dir" | "any"): Error {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return new PathFailure(`${requested} does not exist`);
  if (code === "ENOTDIR") {
    return new PathFailure(
      kind === "dir" ? `${requested} is not a directory` : `${requested} does not exist`,
    );
  }
  if (code === "EACCES" || code === "EPERM") return new PathFailure(`${requested}: permission denied`);
  if (code === "ELOOP") {
    return new RefusalError({
      code: "path_not_allowed",
      message: `${requested} changed while it was opened`,
    });
  }
  return error instanceof Error ? error : new Error(String(error));
}

/** The descriptor's real path, from the OS or by comparing it with realpath(name). */
async function descriptorRealPath(
  platform: Platform,
  handle: FileHandle,
  info: Stats,
  path: string,
): Promise<string> {
  const fromFd = platform.fdRealPath(handle.fd);
  if (fromFd !== undefined) return fromFd;
  const real = await realpath(path).catch(() => undefined);
  const named = real !== undefined ? await stat(real).catch(() => undefined) : undefined;
  if (real === undefined || named === undefined || named.dev !== info.dev || named.ino !== info.ino) {
    throw new RefusalError({ code: "path_not_allowed", message: `${path} changed while it was checked` });
  }
  return real;
}

/** Opens, checks and closes: for checks made before the call is audited and run. */
export async function checkPath(
  access: FsAccess,
  requested: string,
  kind: "file" | "dir" | "any",
  base?: string,
): Promise<void> {
  try {
    const opened = await openChecked(access, requested, kind, base);
    await opened.handle.close();
  } catch (error) {
    // Not there (yet): the run reports it as an ordinary failure. Refusals go up.
    if (!(error instanceof PathFailure)) throw error;
  }
}
