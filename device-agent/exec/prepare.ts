import { checkArgv } from "../../common/policy";
import { openChecked, PathFailure, type FsAccess, type OpenedPath } from "../fs/open";
import { RefusalError } from "../policy";
import { binaryAllowed } from "../manifest/paths";

/**
 * A shell.exec call made ready to run: the argv checked against the program's grammar,
 * the working directory opened and checked through its descriptor, and every path word
 * (relative ones resolved against that directory) opened, checked, and replaced in argv by
 * its checked real path, with its prefix ("--file=") kept. The program is then given
 * names with no symlink we did not check.
 *
 * Residual window: the program resolves those real paths again itself. A directory on the
 * way that is replaced by a symlink *after* our check (by someone who can write to its
 * parent) would still be followed by a third-party program; we cannot hand it descriptors.
 * The cwd has no such window on Linux: the child starts in /proc/self/fd/N, the directory
 * we opened.
 */
export interface PreparedExec {
  argv: string[];
  /** The checked working directory; `via` is what the child is started in. */
  cwd: OpenedPath;
  close(): Promise<void>;
}

export async function prepareExec(
  access: FsAccess,
  argv: readonly string[],
  requestedCwd: string,
): Promise<PreparedExec> {
  const manifest = access.policy.manifest;
  const verdict = checkArgv(access.platform.os, manifest.shell.binaries_allowed, argv);
  if (!verdict.ok) {
    const known = binaryAllowed(access.platform.pathFlavor, argv[0] ?? "", manifest.shell.binaries_allowed);
    throw new RefusalError({ code: known ? "invalid_input" : "binary_not_allowed", message: verdict.reason });
  }
  const cwd = await openCwd(access, requestedCwd);
  const prepared = [...argv];
  try {
    for (const word of verdict.paths) {
      const opened = await openChecked(access, word.value, "any", cwd.real);
      await opened.handle.close();
      prepared[word.index] = `${word.prefix}${opened.real}`;
    }
  } catch (error) {
    await cwd.handle.close();
    throw error;
  }
  return { argv: prepared, cwd, close: () => cwd.handle.close() };
}

/** The working directory, opened and checked; a missing one is said as such, never as a missing program. */
export async function openCwd(access: FsAccess, requested: string): Promise<OpenedPath> {
  try {
    return await openChecked(access, requested, "dir");
  } catch (error) {
    if (error instanceof PathFailure) throw new PathFailure(`the working directory ${error.message}`);
    throw error;
  }
}
