/**
 * A positive list of the settings a repository's own config may have for the agent to run
 * git on it. git runs programs named in config (core.fsmonitor, core.hooksPath, aliases,
 * filter.*, diff.*.textconv, core.sshCommand, credential helpers…), and the agent may run
 * as root on a repository its user controls: a repository setting anything outside this
 * list is refused. `*` stands for one subsection ("origin" in remote.origin.url).
 */
export const SAFE_GIT_KEYS: readonly string[] = [
  "core.repositoryformatversion",
  "core.filemode",
  "core.bare",
  "core.logallrefupdates",
  "core.ignorecase",
  "core.precomposeunicode",
  "core.symlinks",
  "core.autocrlf",
  "core.eol",
  "core.safecrlf",
  "remote.*.url",
  "remote.*.fetch",
  "remote.*.pushurl",
  "branch.*.remote",
  "branch.*.merge",
  "branch.*.rebase",
  "user.name",
  "user.email",
  "init.defaultbranch",
  "pull.rebase",
  "pull.ff",
  "extensions.objectformat",
  "gc.auto",
  "index.version",
  "submodule.*.url",
  "submodule.*.active",
];

/** Settings that name a program git would start: said as such in the refusal. */
const RUNS_A_PROGRAM =
  /^(core\.(fsmonitor|hookspath|sshcommand|pager|editor|askpass|gitproxy)|alias\..*|filter\..*|diff\..*|merge\..*\.driver|credential\..*|gpg\..*|uploadpack\..*|sequence\.editor|remote\..*\.(uploadpack|receivepack|vcs)|include\..*|includeif\..*)$/;

/** Section and name compared without case, the subsection exactly (as git does). */
function keyMatches(pattern: string, key: string): boolean {
  const [pSection, ...pRest] = pattern.split(".");
  const first = key.indexOf(".");
  const last = key.lastIndexOf(".");
  if (first < 0) return false;
  const section = key.slice(0, first).toLowerCase();
  const name = key.slice(last + 1).toLowerCase();
  const hasSub = last > first;
  if (section !== pSection) return false;
  if (pRest.length === 1) return !hasSub && name === pRest[0];
  return hasSub && pRest[0] === "*" && name === pRest[1];
}

export function isSafeGitKey(key: string): boolean {
  return SAFE_GIT_KEYS.some((pattern) => keyMatches(pattern, key));
}

/** The keys of `git config --list --null` output ("key\nvalue\0" or "key\0" per entry). */
export function configKeys(listing: string): string[] {
  return listing
    .split("\0")
    .filter((record) => record.length > 0)
    .map((record) => {
      const newline = record.indexOf("\n");
      return newline < 0 ? record : record.slice(0, newline);
    });
}

/** The sentence for the first key outside the list, or undefined when every key is safe. */
export function unsafeConfigSentence(keys: readonly string[], capability: string): string | undefined {
  const bad = keys.find((key) => !isSafeGitKey(key));
  if (bad === undefined) return undefined;
  const why = RUNS_A_PROGRAM.test(bad.toLowerCase())
    ? "which git would run as the agent"
    : "which is not on the agent's list of safe git settings";
  return `the repository's config sets ${bad}, ${why}; ${capability} refuses such repositories`;
}
