import { UserError } from "../../common/errors";
import { shellQuote } from "../../ssh/quote";
import { compressedAgent } from "../wg/agent-install";
import { SERVICE_NAME } from "../wg/services/render";
import { mustRun, type Shell } from "../wg/shell";
import type { AgentLayout, LocalAgent } from "./types";

/** What Linux and macOS share: POSIX sh over SSH, files under the login user's home. */

/** Becomes root where needed: nothing for root, `sudo -n` (never a password prompt) otherwise. */
export const SUDO = 'SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo -n"';

/** The agent's files under a Unix home; `unit` is where this OS keeps a per-user service. */
export function unixLayout(home: string, unit: string): AgentLayout {
  const share = `${home}/.local/share/meshpilot`;
  const configDir = `${home}/.config/meshpilot`;
  const stateDir = `${home}/.local/state/meshpilot`;
  return {
    binary: `${share}/device-agent`,
    configDir,
    config: `${configDir}/agent.yaml`,
    manifest: `${configDir}/manifest.yaml`,
    secret: `${configDir}/agent.secret`,
    stateDir,
    audit: `${stateDir}/audit.db`,
    log: `${stateDir}/agent.log`,
    pidfile: `${stateDir}/agent.pid`,
    supervisor: `${share}/supervise.sh`,
    unit,
    owned: [share, configDir, stateDir, unit],
  };
}

export function systemdUnitPath(home: string): string {
  return `${home}/.config/systemd/user/${SERVICE_NAME}.service`;
}

/** The upload command's exit status when the decompressed executable has the wrong SHA-256. */
export const CHECKSUM_MISMATCH = 86;

/**
 * Uploads the executable unless the same one is there; `sha256` is the target's hashing
 * command. The gzip goes over the channel and one command unpacks it, hashes the unpacked
 * bytes as they are written (tee: no second read of 110 MB, which took ~0.3 s), checks
 * the file's length (a failed write) and the hash, and moves it into place — one SSH exec
 * instead of three. Returns the bytes sent.
 */
export async function uploadAgent(
  shell: Shell,
  layout: AgentLayout,
  agent: LocalAgent,
  sha256: string,
): Promise<number> {
  const bin = shellQuote([layout.binary]);
  const current = await shell.run(`${sha256} ${bin} 2>/dev/null`);
  if (current.exitCode === 0 && current.stdout.startsWith(agent.sha256)) return 0;
  const gz = await compressedAgent(agent);
  const tmp = shellQuote([`${layout.binary}.upload`]);
  const result = await shell.run(
    `mkdir -p "$(dirname ${bin})" && sum=$(gunzip -c | tee ${tmp} | ${sha256}) && [ $(wc -c < ${tmp}) = ${agent.bytes} ] || { rm -f ${tmp}; exit 1; }; ` +
      `case "$sum" in ${shellQuote([`${agent.sha256} `])}*) chmod 755 ${tmp} && mv ${tmp} ${bin} || { rm -f ${tmp}; exit 1; } ;; *) rm -f ${tmp}; exit ${CHECKSUM_MISMATCH} ;; esac`,
    { input: gz.open(), timeoutMs: 600_000 },
  );
  if (result.exitCode === CHECKSUM_MISMATCH)
    throw new UserError(
      `the agent uploaded to ${shell.where} does not match its checksum — the transfer was corrupted; run the command again`,
    );
  if (result.exitCode !== 0) {
    const said = (result.stderr || result.stdout).trim().split("\n").slice(-3).join(" / ");
    throw new UserError(
      `uploading the device agent failed on ${shell.where} (exit ${result.exitCode ?? "?"}${said ? `: ${said}` : ""})`,
    );
  }
  return gz.bytes;
}

export async function writePrivateFile(shell: Shell, path: string, text: string): Promise<void> {
  const file = shellQuote([path]);
  await mustRun(
    shell,
    `mkdir -p "$(dirname ${file})" && (umask 077 && cat > ${file}.tmp) && chmod 600 ${file}.tmp && mv ${file}.tmp ${file}`,
    `writing ${path}`,
    { input: text },
  );
}

/**
 * A regex matching the supervisor and the agent of this layout, written so that it does
 * not match the shell running pkill/pgrep (whose command line holds the pattern itself).
 */
export function processPattern(layout: AgentLayout): string {
  const dir = layout.binary.slice(0, layout.binary.lastIndexOf("/")).replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return `${dir}/([s]upervise\\.sh|[d]evice-agent)`;
}

/** Starts the supervisor loop in its own session, with no fd left on the SSH channel. */
export async function startSupervisor(shell: Shell, layout: AgentLayout): Promise<void> {
  const pid = shellQuote([layout.pidfile]);
  await mustRun(
    shell,
    // A backgrounded list ("a && b &") would keep a shell holding the channel open.
    `mkdir -p ${shellQuote([layout.stateDir])} || exit 1; setsid sh ${shellQuote([layout.supervisor])} < /dev/null > /dev/null 2>&1 & echo $! > ${pid}`,
    "starting the agent",
  );
}

/** Stops the supervisor's process group and every agent process of this layout; `first` runs before. */
export async function stopProcesses(shell: Shell, layout: AgentLayout, first = ""): Promise<void> {
  const pid = shellQuote([layout.pidfile]);
  await mustRun(
    shell,
    `${first}if [ -f ${pid} ]; then kill -- -"$(cat ${pid})" 2>/dev/null; rm -f ${pid}; fi; pkill -u "$(id -u)" -f ${shellQuote([processPattern(layout)])}; true`,
    "stopping the agent",
  );
}

export async function agentProcessRunning(shell: Shell, layout: AgentLayout): Promise<boolean> {
  return (
    (await shell.run(`pgrep -u "$(id -u)" -f ${shellQuote([processPattern(layout)])} >/dev/null`))
      .exitCode === 0
  );
}

export async function removeOwned(shell: Shell, layout: AgentLayout): Promise<void> {
  await mustRun(shell, `rm -rf ${shellQuote(layout.owned)}`, "removing the agent's files");
}

export async function missingFiles(shell: Shell, layout: AgentLayout): Promise<string[]> {
  const files = [layout.binary, layout.config, layout.manifest, layout.secret, layout.supervisor];
  const result = await shell.run(
    files.map((f) => `[ -e ${shellQuote([f])} ] || echo ${shellQuote([f])}`).join("; "),
  );
  return result.stdout.split("\n").filter(Boolean);
}

/** wg-quick with the config at `dir`/<ifname>.conf, as root (sudo -n). */
export function wgQuickTunnel(dir: string, wgQuick = "wg-quick") {
  const confPath = (ifname: string): string => `${dir}/${ifname}.conf`;
  const present = async (shell: Shell, ifname: string): Promise<boolean> =>
    (await shell.run(`${SUDO}; $SUDO test -f ${shellQuote([confPath(ifname)])}`)).exitCode === 0;
  return {
    tunnelConfigPath: confPath,
    async installTunnelConfig(shell: Shell, ifname: string, text: string): Promise<void> {
      const path = shellQuote([confPath(ifname)]);
      const tmp = shellQuote([`${confPath(ifname)}.tmp`]);
      await mustRun(
        shell,
        // The path goes in as $1, never inside the quoted script text.
        `${SUDO}; $SUDO mkdir -p ${shellQuote([dir])} && $SUDO sh -c 'umask 077 && cat > "$1"' sh ${tmp} && $SUDO chmod 600 ${tmp} && $SUDO mv ${tmp} ${path}`,
        "installing the WireGuard config",
        { input: text },
      );
    },
    async tunnelUp(shell: Shell, ifname: string, userspace: string | undefined): Promise<void> {
      // wireguard-go also insists on being told that the kernel module is not an option.
      const env = userspace
        ? `env WG_QUICK_USERSPACE_IMPLEMENTATION=${shellQuote([userspace])} WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD=1 `
        : "";
      const name = shellQuote([ifname]);
      await mustRun(
        shell,
        `${SUDO}; $SUDO wg show ${name} >/dev/null 2>&1 && $SUDO ${wgQuick} down ${name} >/dev/null 2>&1; $SUDO ${env}${wgQuick} up ${name}`,
        "bringing the tunnel up",
      );
    },
    async removeTunnel(shell: Shell, ifname: string): Promise<void> {
      const name = shellQuote([ifname]);
      await mustRun(
        shell,
        `${SUDO}; $SUDO ${wgQuick} down ${name} >/dev/null 2>&1; $SUDO rm -f ${shellQuote([confPath(ifname)])}; true`,
        "removing the tunnel",
      );
    },
    tunnelConfigPresent: present,
    async tunnelIsUp(shell: Shell, ifname: string): Promise<boolean> {
      const result = await shell.run(`${SUDO}; $SUDO wg show ${shellQuote([ifname])} >/dev/null 2>&1`);
      return result.exitCode === 0 && (await present(shell, ifname));
    },
  };
}
