import { shellQuote } from "../../ssh/quote";
import { AS_USER, uninstallPath } from "../pull/stage2";
import { LINUX_WG_INSTALL } from "../targets/linux";
import type { AgentLayout, TargetAdapter, TargetFacts } from "../targets/types";
import { BundleFiles, FileFedShell } from "./file-shell";

/** The executable's name in the bundle folder. */
export const AGENT_FILE = "device-agent";

/** What a bundle installs: the same adapter calls as push and pull, fed from the bundle's files. */
export interface BundleInstall {
  adapter: TargetAdapter;
  /** From the flags; on Linux, init is decided on the PC (systemd or the supervisor loop). */
  facts: TargetFacts;
  layout: AgentLayout;
  name: string;
  ifname: string;
  userspace: string | undefined;
  /** The whole wg-quick file, private key included (it goes only into the archive). */
  tunnelConfig: string;
  agentSha256: string;
  secret: string;
  manifest: string;
  agentConfig: string;
}

export interface BundleScripts {
  install: string;
  uninstall: string;
  /** Bundle file name → text: every input install.sh feeds to an adapter command. */
  files: ReadonlyMap<string, string>;
}

/**
 * install.sh and uninstall.sh for Linux and macOS, from the OS adapter's own commands
 * through a recording shell (as pull's stage2Sh): the tunnel as root, the agent as the
 * user. It runs from the unpacked folder with no network but the tunnel's UDP: it reports
 * to nobody — the bot sees the first handshake and finishes over the mesh.
 */
export async function bundleSh(i: BundleInstall): Promise<BundleScripts> {
  const uninstallAt = uninstallPath(i.layout, i.facts.os);
  const files = new BundleFiles([
    i.adapter.tunnelConfigPath(i.ifname),
    i.layout.secret,
    i.layout.manifest,
    i.layout.config,
    i.layout.unit,
    i.layout.supervisor,
    uninstallAt,
  ]);
  const cleanup = await byInit(i.facts, async (facts) => {
    const root = new FileFedShell("this PC", "root", files, "ignore");
    const user = new FileFedShell("this PC", "user", files, "ignore");
    await i.adapter.stopAgent(user, i.layout, facts);
    await i.adapter.removeAgentFiles(user, i.layout);
    await i.adapter.removeTunnel(root, i.ifname);
    return [...user.lines, ...root.lines];
  });
  const uninstall = [
    "#!/bin/sh",
    `# meshpilot: removes the agent, its service and the tunnel of ${i.name} from this PC. Run: sudo sh ${uninstallAt}`,
    `MP_USER=${shellQuote([i.facts.user])}`,
    AS_USER,
    `[ "$(id -u)" = 0 ] || { echo "meshpilot: run it as root: sudo sh $0" >&2; exit 1; }`,
    ...cleanup,
    "echo 'meshpilot: removed'",
    "",
  ].join("\n");

  const root = new FileFedShell("this PC", "root", files);
  await i.adapter.installTunnelConfig(root, i.ifname, i.tunnelConfig);
  await i.adapter.tunnelUp(root, i.ifname, i.userspace);
  const agent = await byInit(i.facts, async (facts) => {
    const user = new FileFedShell("this PC", "user", files);
    await i.adapter.writePrivateFile(user, i.layout.secret, `${i.secret}\n`);
    await i.adapter.writePrivateFile(user, i.layout.manifest, i.manifest);
    await i.adapter.writePrivateFile(user, i.layout.config, i.agentConfig);
    await i.adapter.installService(user, i.layout, facts);
    await i.adapter.startAgent(user, i.layout, facts);
    await i.adapter.writePrivateFile(user, uninstallAt, uninstall);
    const linger =
      facts.init === "systemd"
        ? ['loginctl enable-linger "$MP_USER" || mp_fail "loginctl enable-linger"']
        : [];
    return [...linger, ...user.lines];
  });
  const install = [
    "#!/bin/sh",
    `# meshpilot bundle: adds this PC to the mesh as ${JSON.stringify(i.name)} (${i.facts.os}/${i.facts.arch}),`,
    `# the agent running as ${i.facts.user}. Run it from the unpacked folder: sudo sh install.sh`,
    "# README.txt says what it changes and how to remove it.",
    "set -u",
    'MP_DIR=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd) || exit 1',
    `MP_USER=${shellQuote([i.facts.user])}`,
    `MP_HOME=${shellQuote([i.facts.home])}`,
    AS_USER,
    "say() { printf 'meshpilot: %s\\n' \"$*\" >&2; }",
    "mp_cleanup() {",
    ...cleanup.map((l) => `  ${l}`),
    "}",
    "mp_fail() {",
    '  say "failed: $1 — undoing what was done here"',
    "  mp_cleanup >/dev/null 2>&1",
    "  exit 1",
    "}",
    "main() {",
    ...preflight(i).map((l) => `  ${l}`),
    '  say "bringing the tunnel up"',
    ...root.lines.map((l) => `  ${l}`),
    '  say "installing the agent"',
    `  as_user ${shellQuote([copyAgent(i)])} < "$MP_DIR"/${AGENT_FILE} || mp_fail 'copying the agent (checksum)'`,
    ...agent.map((l) => `  ${l}`),
    `  say "installed; the hub finishes over the mesh once the tunnel's first handshake reaches it. To remove it later: sudo sh ${uninstallAt}"`,
    "}",
    'main "$@" < /dev/null',
    "",
  ].join("\n");
  return { install, uninstall, files: files.files };
}

/** Linux runs a systemd user unit where systemd runs, else the supervisor loop: decided on the PC. */
async function byInit(
  facts: TargetFacts,
  render: (facts: TargetFacts) => Promise<string[]>,
): Promise<string[]> {
  if (facts.os !== "linux") return render(facts);
  const systemd = await render({ ...facts, init: "systemd" });
  const none = await render({ ...facts, init: "none" });
  const indent = (lines: string[]): string[] => lines.map((l) => `  ${l}`);
  return ["if [ -d /run/systemd/system ]; then", ...indent(systemd), "else", ...indent(none), "fi"];
}

/** Before anything changes: root, the OS/arch, the user and its home, WireGuard's tools, the agent's checksum. */
function preflight(i: BundleInstall): string[] {
  const { os, arch, user } = i.facts;
  const sum = os === "darwin" ? "shasum -a 256" : "sha256sum";
  const home =
    os === "darwin"
      ? `dscl . -read "/Users/$MP_USER" NFSHomeDirectory 2>/dev/null | sed -n 's/^NFSHomeDirectory: //p'`
      : `getent passwd -- "$MP_USER" | cut -d: -f6`;
  const install = Object.entries(LINUX_WG_INSTALL).map(
    ([pm, cmd]) => `  elif command -v ${pm} >/dev/null 2>&1; then SUDO=""; ${cmd} >&2`,
  );
  return [
    `[ "$(id -u)" = 0 ] || { say "run it as root, from this folder: sudo sh install.sh"; exit 1; }`,
    `os=$(uname -s | tr 'A-Z' 'a-z'); arch=$(uname -m)`,
    `case "$arch" in x86_64|amd64) arch=amd64 ;; aarch64|arm64) arch=arm64 ;; esac`,
    `[ "$os/$arch" = ${shellQuote([`${os}/${arch}`])} ] || { say "this bundle is for ${os}/${arch} and this PC is $os/$arch — make one with meshpilot bundle --os $os --arch $arch"; exit 1; }`,
    `id -u "$MP_USER" >/dev/null 2>&1 || { say "there is no user ${user} on this PC — make a bundle with --user <the account the agent should run as>"; exit 1; }`,
    `home=$(${home})`,
    `[ "$home" = "$MP_HOME" ] || { say "$MP_USER's home here is $home and this bundle was made for $MP_HOME — make one with --home $home"; exit 1; }`,
    `[ "$(${sum} "$MP_DIR"/${AGENT_FILE} | cut -d' ' -f1)" = ${shellQuote([i.agentSha256])} ] || { say "${AGENT_FILE} in this folder does not match its checksum: the bundle is damaged — make a new one"; exit 1; }`,
    'export PATH="/opt/homebrew/bin:/usr/local/bin:$PATH"',
    "if ! command -v wg-quick >/dev/null 2>&1; then",
    `  say "installing WireGuard's tools"`,
    `  if [ "$os" = darwin ]; then as_user "NONINTERACTIVE=1 brew install wireguard-tools" >&2`,
    ...install,
    "  fi",
    "fi",
    `command -v wg-quick >/dev/null 2>&1 || { say "WireGuard's tools (wg-quick) are not installed and could not be installed — install wireguard-tools and run it again"; exit 1; }`,
  ];
}

/** As the user: the executable from the bundle into place, checked again where it lands. */
function copyAgent(i: BundleInstall): string {
  const bin = shellQuote([i.layout.binary]);
  const tmp = shellQuote([`${i.layout.binary}.copy`]);
  const sum = i.facts.os === "darwin" ? "shasum -a 256" : "sha256sum";
  return [
    `mkdir -p "$(dirname ${bin})"`,
    `cat > ${tmp}`,
    `[ "$(${sum} ${tmp} | cut -d' ' -f1)" = ${shellQuote([i.agentSha256])} ]`,
    `chmod 755 ${tmp}`,
    `mv ${tmp} ${bin} || { rm -f ${tmp}; exit 1; }`,
  ].join(" && ");
}
