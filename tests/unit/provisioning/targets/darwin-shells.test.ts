import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { darwinAdapter } from "../../../../provisioning/targets/darwin";
import { SUDO } from "../../../../provisioning/targets/posix";
import type { RunOptions, Shell, ShellResult } from "../../../../provisioning/wg/shell";
import { stub } from "./checks";

/**
 * sshd hands a Mac's commands to the account's login shell — zsh since macOS 10.15. These
 * run the adapter's tunnel commands for real with zsh (and dash, bash) as that shell, and
 * with dash and bash as the POSIX sh they are passed to, against a stand-in Homebrew.
 */
const which = (name: string): string =>
  spawnSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" }).stdout.trim();
const LOGIN_SHELLS = ["zsh", "dash", "bash"].map(which).filter(Boolean);
const POSIX_SHELLS = ["dash", "bash"].map(which).filter(Boolean);

/** Runs each command as sshd would: `<login shell> -c <command>`. */
class LoginShell implements Shell {
  readonly where = "the test machine";
  constructor(private readonly shell: string) {}
  run(command: string, options: RunOptions = {}): Promise<ShellResult> {
    return new Promise((resolve, reject) => {
      const child = spawn(this.shell, ["-c", command], { stdio: ["pipe", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
      child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
      child.on("error", reject);
      child.on("close", (exitCode) => resolve({ exitCode, stdout, stderr }));
      const input = options.input;
      if (typeof input === "string" || Buffer.isBuffer(input)) child.stdin.end(input);
      else child.stdin.end();
    });
  }
}

let tmp: string;
beforeEach(() => {
  tmp = mkdtempSync(join(tmpdir(), "mp-darwin-sh-"));
});
afterEach(() => rmSync(tmp, { recursive: true, force: true }));

/** Homebrew's bin with sudo, wg and wg-quick stand-ins; returns the prefix and wg-quick's log. */
function standInHomebrew(): { prefix: string; log: string } {
  const prefix = join(tmp, "homebrew");
  const log = join(tmp, "wg.log");
  const state = join(tmp, "up");
  // Not root (the tests may run as root): so $SUDO is "sudo -n", the form zsh would not split.
  stub(join(prefix, "bin"), "id", '[ "$1" = -u ] && echo 501 || exec /usr/bin/id "$@"');
  stub(join(prefix, "bin"), "sudo", '[ "$1" = -n ] && shift; exec "$@"');
  stub(join(prefix, "bin"), "wg", `[ "$1 $2" = "show mp0" ] && [ -e '${state}' ]`);
  stub(
    join(prefix, "bin"),
    "wg-quick",
    `echo "$*" >> '${log}'; if [ "$1" = up ]; then touch '${state}'; else rm -f '${state}'; fi`,
  );
  return { prefix, log };
}

describe("macOS commands under the shells sshd and sh may be", () => {
  test("zsh does not split $SUDO into words: the reason every command goes to sh", () => {
    const zsh = which("zsh");
    if (!zsh) return; // zsh is installed by the dev setup; without it this cannot be shown here
    const result = spawnSync(zsh, ["-c", `${SUDO.replace("= 0", "= none")}; $SUDO true`], {
      encoding: "utf8",
    });
    expect(result.stderr).toMatch(/command not found: sudo -n/);
  });

  test.each(LOGIN_SHELLS.flatMap((login) => POSIX_SHELLS.map((sh) => [login, sh])))(
    "login shell %s, sh %s: config written 0600, tunnel up, seen up, down and gone",
    async (login, sh) => {
      const { prefix, log } = standInHomebrew();
      const adapter = darwinAdapter({ arch: "arm64", homebrewPrefix: prefix, sh });
      const shell = new LoginShell(login);
      const conf = adapter.tunnelConfigPath("mp0");
      await adapter.installTunnelConfig(shell, "mp0", "[Interface]\nPrivateKey = k\n");
      expect(readFileSync(conf, "utf8")).toBe("[Interface]\nPrivateKey = k\n");
      expect(statSync(conf).mode & 0o777).toBe(0o600);
      await adapter.tunnelUp(shell, "mp0", undefined);
      await expect(adapter.tunnelIsUp(shell, "mp0")).resolves.toBe(true);
      await adapter.removeTunnel(shell, "mp0");
      await expect(adapter.tunnelConfigPresent(shell, "mp0")).resolves.toBe(false);
      expect(readFileSync(log, "utf8")).toBe("up mp0\ndown mp0\n");
    },
  );

  test("the same commands with zsh in place of sh fail: the wrapper is what makes them work", async () => {
    const zsh = which("zsh");
    if (!zsh) return;
    const { prefix } = standInHomebrew();
    const adapter = darwinAdapter({ arch: "arm64", homebrewPrefix: prefix, sh: zsh });
    await expect(adapter.installTunnelConfig(new LoginShell(zsh), "mp0", "x")).rejects.toThrow(
      /command not found: sudo -n/,
    );
  });
});
