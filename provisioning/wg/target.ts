import { UserError } from "../../common/errors";
import { shellQuote } from "../../ssh/quote";
import { mustRun, type Shell } from "./shell";

/** What step 2 learns about the target. */
export interface TargetFacts {
  /** lower-case uname -s: linux, darwin, … */
  os: string;
  arch: string;
  osPretty: string;
  home: string;
  user: string;
  isRoot: boolean;
  /** "systemd" when a systemd instance runs (user units usable); "none" otherwise. */
  init: "systemd" | "none";
  packageManager: "apt-get" | "dnf" | "pacman" | "apk" | "brew" | "none";
  hasWgQuick: boolean;
  canSudo: boolean;
}

export const SUPPORTED_TARGETS = ["linux-amd64", "linux-arm64", "windows-amd64", "darwin-arm64"] as const;

/**
 * Every target-side action is a POSIX sh script, run over SSH today; a pull-mode
 * enrollment could hand the same scripts to the PC to run itself.
 */
const SUDO = 'SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo -n"';

export const DETECT_SCRIPT = `
echo "os=$(uname -s 2>/dev/null)"
echo "arch=$(uname -m 2>/dev/null)"
echo "pretty=$( (. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME") || sw_vers -productName 2>/dev/null )"
echo "home=$HOME"
echo "user=$(id -un)"
echo "uid=$(id -u)"
[ -d /run/systemd/system ] && echo "init=systemd" || echo "init=none"
for pm in apt-get dnf pacman apk brew; do command -v "$pm" >/dev/null 2>&1 && { echo "pm=$pm"; break; }; done
command -v wg-quick >/dev/null 2>&1 && echo "wgquick=yes"
{ [ "$(id -u)" = 0 ] || sudo -n true 2>/dev/null; } && echo "sudo=yes"
true
`;

export async function detectTarget(shell: Shell): Promise<TargetFacts> {
  const result = await shell.run(DETECT_SCRIPT);
  const facts = new Map(
    result.stdout
      .split("\n")
      .filter((l) => l.includes("="))
      .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1).trim()]),
  );
  const rawOs = facts.get("os") ?? "";
  if (!rawOs) {
    throw new UserError(
      `${shell.where} did not answer like a Unix system (no uname) — if it runs Windows, add it with --via ssh (WireGuard devices are Linux for now; see docs/architecture.md, "an OS target")`,
    );
  }
  return {
    os: rawOs.toLowerCase(),
    arch: normaliseArch(facts.get("arch") ?? ""),
    osPretty: facts.get("pretty") || rawOs,
    home: facts.get("home") ?? "",
    user: facts.get("user") ?? "",
    isRoot: facts.get("uid") === "0",
    init: facts.get("init") === "systemd" ? "systemd" : "none",
    packageManager: (facts.get("pm") as TargetFacts["packageManager"] | undefined) ?? "none",
    hasWgQuick: facts.get("wgquick") === "yes",
    canSudo: facts.get("sudo") === "yes",
  };
}

export function normaliseArch(arch: string): string {
  const a = arch.toLowerCase();
  if (a === "x86_64" || a === "amd64") return "amd64";
  if (a === "aarch64" || a === "arm64") return "arm64";
  return a;
}

/** The agent build for this target, or a sentence saying why there is none. */
export function agentTarget(os: string, arch: string): string {
  const target = `${os}-${arch}`;
  if ((SUPPORTED_TARGETS as readonly string[]).includes(target)) return target;
  throw new UserError(
    `there is no device agent for ${os}/${arch} — supported: ${SUPPORTED_TARGETS.join(", ")}; add this machine with --via ssh instead`,
  );
}

const INSTALL: Record<Exclude<TargetFacts["packageManager"], "none">, string> = {
  "apt-get": "$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y wireguard-tools",
  dnf: "$SUDO dnf install -y wireguard-tools",
  pacman: "$SUDO pacman -S --noconfirm wireguard-tools",
  apk: "$SUDO apk add wireguard-tools",
  brew: "brew install wireguard-tools",
};

export async function ensureWireguard(shell: Shell, facts: TargetFacts): Promise<"present" | "installed"> {
  if (facts.hasWgQuick) return "present";
  if (facts.packageManager === "none") {
    throw new UserError(
      `WireGuard is not installed on ${shell.where} and no package manager was found (apt-get, dnf, pacman, apk, brew) — install wireguard-tools there and run the command again`,
    );
  }
  await mustRun(shell, `${SUDO}; ${INSTALL[facts.packageManager]}`, "installing wireguard-tools", {
    timeoutMs: 600_000,
  });
  return "installed";
}

export function tunnelConfigPath(ifname: string): string {
  return `/etc/wireguard/${ifname}.conf`;
}

export async function installTunnelConfig(shell: Shell, ifname: string, text: string): Promise<void> {
  const path = shellQuote([tunnelConfigPath(ifname)]);
  await mustRun(
    shell,
    `${SUDO}; $SUDO mkdir -p /etc/wireguard && $SUDO sh -c 'umask 077 && cat > ${path}.tmp' && $SUDO chmod 600 ${path}.tmp && $SUDO mv ${path}.tmp ${path}`,
    "installing the WireGuard config",
    {
      input: text,
    },
  );
}

export async function tunnelUp(shell: Shell, ifname: string, userspace: string | undefined): Promise<void> {
  // wireguard-go also insists on being told that the kernel module is not an option.
  const env = userspace
    ? `env WG_QUICK_USERSPACE_IMPLEMENTATION=${shellQuote([userspace])} WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD=1 `
    : "";
  const name = shellQuote([ifname]);
  await mustRun(
    shell,
    `${SUDO}; $SUDO wg show ${name} >/dev/null 2>&1 && $SUDO wg-quick down ${name} >/dev/null 2>&1; $SUDO ${env}wg-quick up ${name}`,
    "bringing the tunnel up",
  );
}

/** Best effort: the tunnel down and its config gone. */
export async function removeTunnel(shell: Shell, ifname: string): Promise<void> {
  const name = shellQuote([ifname]);
  await mustRun(
    shell,
    `${SUDO}; $SUDO wg-quick down ${name} >/dev/null 2>&1; $SUDO rm -f ${shellQuote([tunnelConfigPath(ifname)])}; true`,
    "removing the tunnel",
  );
}

export async function tunnelIsUp(shell: Shell, ifname: string): Promise<boolean> {
  const result = await shell.run(`${SUDO}; $SUDO wg show ${shellQuote([ifname])} >/dev/null 2>&1`);
  return result.exitCode === 0 && (await tunnelConfigPresent(shell, ifname));
}

export async function tunnelConfigPresent(shell: Shell, ifname: string): Promise<boolean> {
  return (await shell.run(`${SUDO}; $SUDO test -f ${shellQuote([tunnelConfigPath(ifname)])}`)).exitCode === 0;
}
