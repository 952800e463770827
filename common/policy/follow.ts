/**
 * Programs that describe a symlink named on their command line rather than follow it.
 * A runner that hands a program a descriptor link (/proc/<pid>/fd/N) instead of the name it
 * checked must add this flag, or the program describes the link instead of the file. Each
 * flag affects only command-line arguments, so nothing inside a tree is followed.
 */
const FOLLOW_ARGUMENT_LINKS: Readonly<Record<string, string>> = {
  ls: "-H",
  stat: "-L",
  du: "-D",
  find: "-H",
};

export function followArgumentLinksFlag(program: string): string | undefined {
  return Object.hasOwn(FOLLOW_ARGUMENT_LINKS, program) ? FOLLOW_ARGUMENT_LINKS[program] : undefined;
}
