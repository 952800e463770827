import { checkArgv, followArgumentLinksFlag } from "../../common/policy";
import { openChecked, PathFailure, type FsAccess, type OpenedPath } from "../fs/open";
import { RefusalError } from "../policy";
import { binaryAllowed } from "../manifest/paths";

/**
 * A shell.exec call made ready to run: the argv checked against the program's grammar, the
 * working directory opened and checked through its descriptor, and every path word
 * (relative ones resolved against that directory) opened and checked through its
 * descriptor too.
 *
 * Where the OS names descriptors for other processes (Linux: /proc/<agent pid>/fd/N), the
 * program is handed that name, not a path: it reads exactly what was opened and checked,
 * whatever is renamed or swapped in the meantime (the agent keeps the descriptors open
 * until the program ends; programs that describe a command-line symlink instead of
 * following it get their follow flag, and the output names the real paths again).
 * Elsewhere the word becomes the checked real path, and a directory replaced by a symlink
 * after the check could still be followed by the program — a window macOS and Windows keep.
 */
export interface PreparedExec {
  argv: string[];
  /** The checked working directory; `via` is what the child is started in. */
  cwd: OpenedPath;
  /** Puts the real paths back where the program printed a descriptor's name. */
  rewriteOutput(text: string): string;
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
  const held: OpenedPath[] = [cwd];
  const close = async (): Promise<void> => {
    await Promise.all(held.map((opened) => opened.handle.close().catch(() => undefined)));
  };
  const prepared = [...argv];
  const names: Array<[string, string]> = [];
  try {
    for (const word of verdict.paths) {
      const opened = await openChecked(access, word.value, "any", cwd.real);
      const link = access.platform.fdPathForChildren(opened.handle.fd);
      if (link === undefined) {
        await opened.handle.close();
        prepared[word.index] = `${word.prefix}${opened.real}`;
        continue;
      }
      held.push(opened);
      // A trailing slash makes every program resolve the link to the directory itself.
      prepared[word.index] = `${word.prefix}${link}${opened.info.isDirectory() ? "/" : ""}`;
      names.push([link, opened.real]);
    }
  } catch (error) {
    await close();
    throw error;
  }
  const follow = followArgumentLinksFlag(argv[0] ?? "");
  if (names.length > 0 && follow) prepared.splice(1, 0, follow);
  return { argv: prepared, cwd, rewriteOutput: (text) => restoreNames(text, names), close };
}

/** /proc/<pid>/fd/12 → its real path; the digit look-ahead keeps fd 1 from matching fd 12. */
export function restoreNames(text: string, names: ReadonlyArray<[string, string]>): string {
  let out = text;
  for (const [link, real] of names) {
    const escaped = link.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    out = out.replace(new RegExp(`${escaped}(?![0-9])`, "g"), real);
  }
  return out;
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
