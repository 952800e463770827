/**
 * Quotes argv for the remote POSIX shell that sshd runs commands through: every argument
 * in single quotes, so nothing in it is ever interpreted ($, `, ;, globs, newlines).
 */
export function shellQuote(argv: readonly string[]): string {
  return argv.map(quoteOne).join(" ");
}

function quoteOne(arg: string): string {
  if (arg.includes("\0")) throw new Error("an argument contains a NUL byte");
  if (/^[A-Za-z0-9_./=:,+@%-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}
