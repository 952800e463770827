import { UserError } from "../common/errors";
import { shellQuote } from "../ssh/quote";

/** Runs one command line on the host (through its shell) and gives back stdout and the exit code. */
export type AccountExec = (command: string) => Promise<{ stdout: string; exitCode: number | null }>;

export type AccountOs = "linux" | "darwin" | "windows";

/**
 * The home directory of `user` as the host's account database has it — not a guess from
 * /home/<user> (root's is /root, service accounts live under /var/lib, macOS uses /Users).
 * Linux: getent passwd (NSS: files, LDAP, sssd), then /etc/passwd; macOS: Directory
 * Services; Windows: %USERPROFILE% of the account the command runs as (which is `user`).
 * Throws a UserError with a sentence when it cannot be read or does not look like a home.
 */
export async function accountHome(exec: AccountExec, os: AccountOs, user: string): Promise<string> {
  if (!user || hasControlCharacter(user) || /[/:]/.test(user)) {
    throw new UserError(`"${user}" is not a user name — give the account's login name`);
  }
  const answer = await readHome(exec, os, user);
  if (answer === undefined || !isAbsoluteHome(answer, os)) {
    const where =
      os === "linux" ? "getent passwd or /etc/passwd" : os === "darwin" ? "dscl" : "%USERPROFILE%";
    throw new UserError(
      `could not read the home directory of ${user} from ${where} on the host` +
        (answer ? ` (it answered ${JSON.stringify(answer.slice(0, 200))})` : "") +
        ` — check that the account exists and has an absolute home directory`,
    );
  }
  return answer;
}

async function readHome(exec: AccountExec, os: AccountOs, user: string): Promise<string | undefined> {
  switch (os) {
    case "linux": {
      const quoted = shellQuote([user]);
      const getent = await exec(`getent passwd -- ${quoted}`);
      const fromGetent = getent.exitCode === 0 ? passwdHome(getent.stdout, user) : undefined;
      if (fromGetent !== undefined) return fromGetent;
      // ENVIRON, not -v: awk would interpret backslash escapes in a -v value.
      const awk = await exec(`u=${quoted} awk -F: '$1==ENVIRON["u"]' /etc/passwd`);
      return awk.exitCode === 0 ? passwdHome(awk.stdout, user) : undefined;
    }
    case "darwin": {
      const result = await exec(`dscl . -read ${shellQuote([`/Users/${user}`])} NFSHomeDirectory`);
      return result.exitCode === 0 ? dsclHome(result.stdout) : undefined;
    }
    case "windows": {
      // Through OpenSSH for Windows the default shell is cmd.exe; PowerShell if it was changed.
      const cmd = await exec("cmd /c echo %USERPROFILE%");
      const fromCmd = cmd.exitCode === 0 ? singleLine(cmd.stdout) : undefined;
      if (fromCmd !== undefined && !fromCmd.includes("%")) return fromCmd;
      const ps = await exec('powershell -NoProfile -NonInteractive -Command "$env:USERPROFILE"');
      return ps.exitCode === 0 ? singleLine(ps.stdout) : undefined;
    }
  }
}

/** Field 6 of the passwd line whose field 1 is exactly `user`. */
export function passwdHome(stdout: string, user: string): string | undefined {
  for (const line of stdout.split("\n")) {
    const fields = line.replace(/\r$/, "").split(":");
    if (fields.length >= 7 && fields[0] === user) return fields[5];
  }
  return undefined;
}

/** "NFSHomeDirectory: /Users/x" (or the value on the next line, when it is long). */
export function dsclHome(stdout: string): string | undefined {
  const match = /^NFSHomeDirectory:[ \t]*(?:\r?\n[ \t]+)?(.*?)\r?$/m.exec(stdout);
  const value = match?.[1]?.trim();
  return value ? value : undefined;
}

function singleLine(stdout: string): string | undefined {
  const lines = stdout
    .split("\n")
    .map((l) => l.replace(/\r$/, "").trim())
    .filter(Boolean);
  return lines.length === 1 ? lines[0] : undefined;
}

function isAbsoluteHome(path: string, os: AccountOs): boolean {
  if (hasControlCharacter(path) || path.length > 4096) return false;
  if (os === "windows") return /^[A-Za-z]:\\/.test(path) && !/(^|\\)\.\.(\\|$)/.test(path);
  return path.startsWith("/") && !/(^|\/)\.\.(\/|$)/.test(path);
}

/** C0 controls and DEL: a terminal escape or a newline has no place in a user name or a path. */
export function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}
