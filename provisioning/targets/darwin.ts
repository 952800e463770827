import { UserError } from "../../common/errors";
import { shellQuote } from "../../ssh/quote";
import { accountHome } from "../account-home";
import { launchdPlist } from "../wg/services/render";
import { mustRun, type Shell } from "../wg/shell";
import {
  removeOwned,
  stopProcesses,
  unixLayout,
  uploadAgent,
  wgQuickTunnel,
  writePrivateFile,
} from "./posix";
import type { AgentLayout, TargetAdapter } from "./types";

/**
 * macOS: POSIX sh like Linux, with Homebrew's wireguard-tools (wg-quick over wireguard-go)
 * and a launchd agent in ~/Library/LaunchAgents. Nothing here uses sudo except wg-quick,
 * which must be root; Homebrew refuses root.
 */

/** The agent builds there are for macOS (builds.ts); Intel Macs have none yet. */
const ARCHES = ["arm64"];

/** The launchd label in render.ts's plist. */
export const LAUNCHD_LABEL = "org.meshpilot.agent";

/** Homebrew's default prefix: /opt/homebrew on Apple silicon, /usr/local on Intel Macs. */
export function homebrewPrefix(arch: string): string {
  return arch === "amd64" ? "/usr/local" : "/opt/homebrew";
}

export function darwinLayout(home: string): AgentLayout {
  return unixLayout(home, `${home}/Library/LaunchAgents/${LAUNCHD_LABEL}.plist`);
}

/**
 * An SSH command on a Mac runs a non-login shell whose PATH has no Homebrew (brew shellenv
 * lives in .zprofile), so every command here starts with it on PATH. sudo looks a program
 * up in that PATH; wg-quick itself gets an explicit one, because sudo resets the
 * environment and wg-quick's `#!/usr/bin/env bash` needs Homebrew's bash 4+ (macOS ships 3.2).
 */
function withHomebrew(shell: Shell, prefix: string): Shell {
  const path = `PATH=${shellQuote([`${prefix}/bin:${prefix}/sbin`])}:"$PATH"; export PATH; `;
  return { where: shell.where, run: (command, options) => shell.run(path + command, options) };
}

/**
 * sshd runs a command with the account's login shell, zsh on every Mac since 10.15, and
 * zsh does not split an unquoted $SUDO ("sudo -n") into words: the shared POSIX commands
 * would run a program called "sudo -n". So every command goes to `sh` (POSIX) instead.
 */
export function posixShell(shell: Shell, sh = "/bin/sh"): Shell {
  return {
    where: shell.where,
    run: (command, options) => shell.run(`exec ${sh} -c ${shellQuote([command])}`, options),
  };
}

/** The launchd domain of the login user: gui/<uid> with a desktop session, user/<uid> without one. */
const DOMAIN = 'd="gui/$(id -u)"; launchctl print "$d" >/dev/null 2>&1 || d="user/$(id -u)"';

export function darwinAdapter(options: {
  arch: string;
  /** Where Homebrew lives when not at its default for `arch` (tests). */
  homebrewPrefix?: string;
  /** The POSIX shell every command runs in (tests run them under dash and bash too). */
  sh?: string;
}): TargetAdapter {
  const prefix = options.homebrewPrefix ?? homebrewPrefix(options.arch);
  const brew = (shell: Shell): Shell => withHomebrew(shell, prefix);
  const wgQuick = `env PATH=${shellQuote([`${prefix}/bin:${prefix}/sbin:/usr/bin:/bin:/usr/sbin:/sbin`])} wg-quick`;
  // Homebrew's wg-quick searches its own etc/wireguard (and /etc/wireguard).
  const tunnel = wgQuickTunnel(`${prefix}/etc/wireguard`, wgQuick);

  const adapter: TargetAdapter = {
    os: "darwin",

    refusal(facts, device) {
      if (facts.arch !== undefined && !ARCHES.includes(facts.arch))
        return `${device} is macOS on ${facts.arch}, and there is no device agent for that — supported: ${ARCHES.join(", ")}; add it with --via ssh instead`;
      if (facts.isRoot === false && facts.canSudo === false)
        return `${facts.user ?? "the SSH user"} cannot use sudo without a password on ${device}, and wg-quick needs root there — allow it (NOPASSWD) or connect as an administrator who can`;
      return undefined;
    },

    home: (shell, user) => accountHome((command) => shell.run(command), "darwin", user),
    layout: darwinLayout,

    async ensureWireguard(shell, facts) {
      if (facts.hasWgQuick) return "present";
      // Detection's PATH has no Homebrew: look again with it before installing anything.
      const found = await brew(shell).run(
        "command -v wg-quick >/dev/null 2>&1 && command -v wireguard-go >/dev/null 2>&1",
      );
      if (found.exitCode === 0) return "present";
      if ((await brew(shell).run("command -v brew >/dev/null 2>&1")).exitCode !== 0) {
        throw new UserError(
          `WireGuard is not installed on ${shell.where} and Homebrew was not found (looked in ${prefix}/bin and PATH) — install Homebrew (https://brew.sh) and "brew install wireguard-tools" there, then run the command again`,
        );
      }
      if (facts.isRoot) {
        throw new UserError(
          `WireGuard is not installed on ${shell.where}, and Homebrew does not run as root — run "brew install wireguard-tools" there as the Mac's user, then run the command again`,
        );
      }
      // Never with sudo: Homebrew installs as the user who owns its prefix.
      await mustRun(
        brew(shell),
        "NONINTERACTIVE=1 brew install wireguard-tools",
        "installing wireguard-tools with Homebrew",
        {
          timeoutMs: 900_000,
        },
      );
      return "installed";
    },

    tunnelConfigPath: tunnel.tunnelConfigPath,
    installTunnelConfig: (shell, ifname, text) => tunnel.installTunnelConfig(brew(shell), ifname, text),
    tunnelUp: (shell, ifname, userspace) => tunnel.tunnelUp(brew(shell), ifname, userspace),
    removeTunnel: (shell, ifname) => tunnel.removeTunnel(brew(shell), ifname),
    tunnelIsUp: (shell, ifname) => tunnel.tunnelIsUp(brew(shell), ifname),
    tunnelConfigPresent: (shell, ifname) => tunnel.tunnelConfigPresent(brew(shell), ifname),

    uploadAgent: (shell, layout, agent) => uploadAgent(shell, layout, agent, "shasum -a 256"),
    writePrivateFile,

    async installService(shell, layout) {
      // launchd opens the log before starting the agent, so its directory must exist.
      await mustRun(shell, `mkdir -p ${shellQuote([layout.stateDir])}`, "making the agent's state directory");
      await writePrivateFile(
        shell,
        layout.unit,
        launchdPlist({ binary: layout.binary, config: layout.config, log: layout.log }),
      );
    },

    async startAgent(shell, layout, facts) {
      await adapter.stopAgent(shell, layout, facts);
      // bootout finishes asynchronously; bootstrap right after it can fail with "5: Input/output error".
      await mustRun(
        shell,
        `${DOMAIN}; i=0; until launchctl bootstrap "$d" ${shellQuote([layout.unit])}; do i=$((i + 1)); [ "$i" -lt 5 ] || exit 1; sleep 1; done; launchctl kickstart "$d/${LAUNCHD_LABEL}"`,
        "starting the agent's launchd service",
      );
    },

    stopAgent: (shell, layout) =>
      stopProcesses(
        shell,
        layout,
        `for d in "gui/$(id -u)" "user/$(id -u)"; do launchctl bootout "$d/${LAUNCHD_LABEL}" >/dev/null 2>&1; done; `,
      ),

    removeAgentFiles: removeOwned,

    async missingAgentFiles(shell, layout) {
      // No supervisor loop on macOS: launchd keeps the agent alive, so the plist is what must be there.
      const files = [layout.binary, layout.config, layout.manifest, layout.secret, layout.unit];
      const result = await shell.run(
        files.map((f) => `[ -e ${shellQuote([f])} ] || echo ${shellQuote([f])}`).join("; "),
      );
      return result.stdout.split("\n").filter(Boolean);
    },
  };
  return overPosixShell(adapter, (shell) => posixShell(shell, options.sh));
}

/** The adapter with every method's shell replaced by `wrap(shell)`. */
function overPosixShell(a: TargetAdapter, wrap: (shell: Shell) => Shell): TargetAdapter {
  return {
    ...a,
    home: (shell, user) => a.home(wrap(shell), user),
    ensureWireguard: (shell, facts) => a.ensureWireguard(wrap(shell), facts),
    installTunnelConfig: (shell, ifname, text) => a.installTunnelConfig(wrap(shell), ifname, text),
    tunnelUp: (shell, ifname, userspace) => a.tunnelUp(wrap(shell), ifname, userspace),
    removeTunnel: (shell, ifname) => a.removeTunnel(wrap(shell), ifname),
    tunnelIsUp: (shell, ifname) => a.tunnelIsUp(wrap(shell), ifname),
    tunnelConfigPresent: (shell, ifname) => a.tunnelConfigPresent(wrap(shell), ifname),
    uploadAgent: (shell, layout, agent) => a.uploadAgent(wrap(shell), layout, agent),
    writePrivateFile: (shell, path, text) => a.writePrivateFile(wrap(shell), path, text),
    installService: (shell, layout, facts) => a.installService(wrap(shell), layout, facts),
    startAgent: (shell, layout, facts) => a.startAgent(wrap(shell), layout, facts),
    stopAgent: (shell, layout, facts) => a.stopAgent(wrap(shell), layout, facts),
    removeAgentFiles: (shell, layout) => a.removeAgentFiles(wrap(shell), layout),
    missingAgentFiles: (shell, layout) => a.missingAgentFiles(wrap(shell), layout),
  };
}

export const darwinTarget = darwinAdapter({ arch: "arm64" });
const darwinAmd64 = darwinAdapter({ arch: "amd64" });

/**
 * The Mac adapter for an arch: Homebrew's prefix (and so wg-quick's config dir) depends on
 * it, and the tunnel methods are not handed the facts. arm64 when the arch is not known.
 */
export function darwinTargetFor(arch: string | undefined): TargetAdapter {
  return arch === "amd64" ? darwinAmd64 : darwinTarget;
}
