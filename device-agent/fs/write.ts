import { constants } from "node:fs";
import { open, realpath, stat, type FileHandle } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { RefusalError } from "../policy";
import { OPEN_FLAGS, PathFailure, absolutePath, openReal, type FsAccess, type OpenedPath } from "./open";

export type WriteMode = "create" | "overwrite" | "append";

/**
 * Writes a file without a check-then-use window: the parent directory is opened and its
 * real path checked; the file is opened *through that descriptor* (Linux:
 * /proc/self/fd/<dirfd>/<name>, the equivalent of openat) with O_NOFOLLOW (and O_EXCL to
 * create), checked again from its own descriptor, and only then truncated and written.
 * Elsewhere the file is opened under the checked real directory and compared by inode.
 * Returns the real path written.
 */
export async function writeChecked(
  access: FsAccess,
  requested: string,
  content: Buffer,
  mode: WriteMode,
): Promise<string> {
  const { dir, name, planned } = await openTargetDir(access, requested);
  try {
    const file = await openFile(join(dir.via, name), mode, requested);
    try {
      const info = await file.stat();
      if (!info.isFile()) throw new PathFailure(`${requested} is not a regular file`);
      // Another name for the same inode (a hard link) would be changed too, wherever it is.
      if (info.nlink > 1) {
        throw new RefusalError({
          code: "path_not_allowed",
          message: `${requested} has other hard links; the agent does not write through them`,
        });
      }
      const real = access.platform.fdRealPath(file.fd) ?? (await sameObject(planned, info.ino, requested));
      access.policy.checkReal(requested, real);
      if (mode === "overwrite") await file.truncate(0);
      await file.write(content, 0, content.length, mode === "append" ? null : 0);
      return real;
    } finally {
      await file.close();
    }
  } finally {
    await dir.handle.close();
  }
}

/** Opens the directory a write lands in, and checks where the file will really be. */
async function openTargetDir(
  access: FsAccess,
  requested: string,
): Promise<{ dir: OpenedPath; name: string; planned: string }> {
  const path = absolutePath(requested);
  const name = basename(path);
  if (name === "" || name === "." || name === "..") throw new PathFailure(`${requested} names no file`);
  let dir: OpenedPath;
  try {
    dir = await openReal(access.platform, dirname(path), "dir");
  } catch (error) {
    if (error instanceof PathFailure) throw new PathFailure(`the directory of ${requested} does not exist`);
    throw error;
  }
  const planned = join(dir.real, name);
  try {
    access.policy.checkReal(requested, planned);
  } catch (error) {
    await dir.handle.close();
    throw error;
  }
  return { dir, name, planned };
}

/** The check before the call is audited: the same directory open and target check, then closed. */
export async function checkWriteTarget(access: FsAccess, requested: string): Promise<void> {
  try {
    const { dir } = await openTargetDir(access, requested);
    await dir.handle.close();
  } catch (error) {
    if (!(error instanceof PathFailure)) throw error;
  }
}

async function openFile(path: string, mode: WriteMode, requested: string): Promise<FileHandle> {
  // No O_TRUNC: an overwrite truncates only after the descriptor has been checked.
  const flags =
    constants.O_WRONLY |
    constants.O_CREAT |
    OPEN_FLAGS.noFollow |
    OPEN_FLAGS.nonBlock |
    (mode === "create" ? constants.O_EXCL : 0) |
    (mode === "append" ? constants.O_APPEND : 0);
  try {
    return await open(path, flags, 0o644);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EEXIST")
      throw new PathFailure(`${requested} already exists (use mode overwrite or append)`);
    if (code === "ELOOP" || code === "EMLINK") {
      throw new RefusalError({
        code: "path_not_allowed",
        message: `${requested} is a symbolic link; write to the real path it points to`,
      });
    }
    if (code === "ENOENT") throw new PathFailure(`the directory of ${requested} does not exist`);
    if (code === "EISDIR") throw new PathFailure(`${requested} is a directory`);
    if (code === "ENXIO") throw new PathFailure(`${requested} is not a regular file`);
    throw error;
  }
}

/** Where the OS cannot name a descriptor: the planned path must still be the opened inode. */
async function sameObject(planned: string, ino: number, requested: string): Promise<string> {
  const real = await realpath(planned);
  if ((await stat(real)).ino !== ino) {
    throw new RefusalError({
      code: "path_not_allowed",
      message: `${requested} changed while it was written`,
    });
  }
  return real;
}
