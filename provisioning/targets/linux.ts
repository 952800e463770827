import { UserError } from "../../common/errors";
import { accountHome } from "../account-home";
import { supervisorScript, systemdUserUnit, SERVICE_NAME } from "../wg/services/render";
import { mustRun, type Shell } from "../wg/shell";
import {
  missingFiles,
  removeOwned,
  startSupervisor,
  stopProcesses,
  SUDO,
  systemdUnitPath,
  unixLayout,
  uploadAgent,
  wgQuickTunnel,
  writePrivateFile,
} from "./posix";
import type { AgentLayout, TargetAdapter, TargetFacts } from "./types";

/** How each package manager installs WireGuard's tools (also in the pull script). */
export const LINUX_WG_INSTALL: Partial<Record<TargetFacts["packageManager"], string>> = {
  "apt-get": "$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y wireguard-tools",
  dnf: "$SUDO dnf install -y wireguard-tools",
  pacman: "$SUDO pacman -S --noconfirm wireguard-tools",
  apk: "$SUDO apk add wireguard-tools",
};

const ARCHES = ["amd64", "arm64"];

/** Linux: wg-quick under /etc/wireguard, a systemd user unit (with linger) or a supervisor loop. */
export const linuxTarget: TargetAdapter = {
  os: "linux",
  ...wgQuickTunnel("/etc/wireguard"),

  refusal(facts, device) {
    if (facts.arch !== undefined && !ARCHES.includes(facts.arch))
      return `${device} is Linux on ${facts.arch}, and there is no device agent for that — supported: ${ARCHES.join(", ")}; add it with --via ssh instead`;
    if (facts.isRoot === false && facts.canSudo === false)
      return `${facts.user ?? "the SSH user"} cannot use sudo without a password on ${device}, and WireGuard needs root there — allow it (NOPASSWD) or connect as root`;
    return undefined;
  },

  home: (shell, user) => accountHome((command) => shell.run(command), "linux", user),
  layout: (home) => unixLayout(home, systemdUnitPath(home)),

  async ensureWireguard(shell, facts) {
    if (facts.hasWgQuick) return "present";
    const install = LINUX_WG_INSTALL[facts.packageManager];
    if (!install) {
      throw new UserError(
        `WireGuard is not installed on ${shell.where} and no package manager was found (apt-get, dnf, pacman, apk) — install wireguard-tools there and run the command again`,
      );
    }
    await mustRun(shell, `${SUDO}; ${install}`, "installing wireguard-tools", { timeoutMs: 600_000 });
    return "installed";
  },

  uploadAgent: (shell, layout, agent) => uploadAgent(shell, layout, agent, "sha256sum"),
  writePrivateFile,

  async installService(shell, layout, facts) {
    const paths = { binary: layout.binary, config: layout.config, log: layout.log };
    if (facts.init === "systemd") await writePrivateFile(shell, layout.unit, systemdUserUnit(paths));
    await writePrivateFile(shell, layout.supervisor, supervisorScript(paths));
  },

  async startAgent(shell, layout, facts) {
    await linuxTarget.stopAgent(shell, layout, facts);
    if (facts.init !== "systemd") return startSupervisor(shell, layout);
    await mustRun(
      shell,
      `(sudo -n loginctl enable-linger "$(id -un)" 2>/dev/null || loginctl enable-linger) && systemctl --user daemon-reload && systemctl --user enable ${SERVICE_NAME} && systemctl --user restart ${SERVICE_NAME}`,
      "starting the agent's service",
    );
  },

  stopAgent: (shell: Shell, layout: AgentLayout, facts: TargetFacts) =>
    stopProcesses(
      shell,
      layout,
      facts.init === "systemd" ? `systemctl --user disable --now ${SERVICE_NAME} 2>/dev/null; ` : "",
    ),

  removeAgentFiles: removeOwned,
  missingAgentFiles: missingFiles,
};
