import { shellQuote } from "../../ssh/quote";
import { DETECT_SCRIPT } from "../targets/detect";
import { LINUX_WG_INSTALL } from "../targets/linux";

/** What the served script is bound to; everything in it is the bot's, nothing is the PC's. */
export interface Stage1 {
  /** https://<public url>/e/<token> */
  url: string;
  name: string;
  os: string;
  arch: string;
  /** SHA-256 of the agent executable for os/arch; stage 2 checks the download against it too. */
  agentSha256: string;
  /** Where a tunnel made before keeps its key (a re-run on the same machine reuses it). */
  tunnelConfig: string;
}

/** The command the operator runs on the PC (in the reply that pushes). */
export function oneLiner(os: string, url: string): string {
  return os === "windows"
    ? `powershell -NoProfile -ExecutionPolicy Bypass -Command "irm ${url} | iex"`
    : `curl -fsSL ${url} | sudo sh`;
}

/**
 * Linux and macOS: as root (sudo), check the OS/arch is what the link is for, read the
 * facts as the user who ran sudo (the agent runs as that user, as with push), install
 * WireGuard's tools if missing, make the key pair here, post the public key and facts,
 * and run the install script the bot answers with. The whole body is a function called
 * with stdin from /dev/null: `curl | sudo sh` feeds the script on stdin, and a command
 * reading stdin (a package manager) would otherwise eat the rest of it.
 */
export function stage1Sh(s: Stage1): string {
  const q = (v: string): string => shellQuote([v]);
  const install = Object.entries(LINUX_WG_INSTALL)
    .map(([pm, cmd]) => `    elif command -v ${pm} >/dev/null 2>&1; then SUDO=""; ${cmd} >&2`)
    .join("\n");
  return `#!/bin/sh
# meshpilot: enrolls this PC into the mesh as ${JSON.stringify(s.name)} (${s.os}/${s.arch}).
# Read it first if you like: curl -fsSL <the same link> | less (that does not use the link).
MP_URL=${q(s.url)}
MP_NAME=${q(s.name)}
MP_OS=${q(s.os)}
MP_ARCH=${q(s.arch)}
MP_AGENT_SHA256=${q(s.agentSha256)}
MP_TUNNEL_CONF=${q(s.tunnelConfig)}
DETECT=${q(DETECT_SCRIPT)}

say() { printf 'meshpilot: %s\\n' "$*" >&2; }
mp_fail() { say "$*"; exit 1; }
as_user() {
  if [ "$MP_USER" = root ]; then sh -c "$1"
  else sudo -u "$MP_USER" -H env XDG_RUNTIME_DIR="/run/user/$(id -u "$MP_USER")" PATH="/opt/homebrew/bin:/usr/local/bin:$PATH" sh -c "$1"; fi
}

main() {
  [ "$(id -u)" = 0 ] || mp_fail "run it as root: curl -fsSL <link> | sudo sh"
  command -v curl >/dev/null 2>&1 || mp_fail "curl is missing — install it and run the command again"
  MP_USER="\${SUDO_USER:-root}"
  os=$(uname -s | tr 'A-Z' 'a-z')
  arch=$(uname -m)
  case "$arch" in x86_64|amd64) arch=amd64 ;; aarch64|arm64) arch=arm64 ;; esac
  if [ "$os" != "$MP_OS" ] || [ "$arch" != "$MP_ARCH" ]; then
    mp_fail "this link is for $MP_OS/$MP_ARCH and this PC is $os/$arch — ask for a new one with !add-pc $MP_NAME --via pull --os $os --arch $arch"
  fi
  facts=$(as_user "$DETECT") || mp_fail "could not read this PC's facts as $MP_USER"
  export PATH="/opt/homebrew/bin:/usr/local/bin:$PATH"
  if ! command -v wg >/dev/null 2>&1; then
    say "installing WireGuard's tools"
    if [ "$os" = darwin ]; then as_user "NONINTERACTIVE=1 brew install wireguard-tools" >&2
${install}
    fi
  fi
  command -v wg >/dev/null 2>&1 || mp_fail "WireGuard's tools (wg) are not installed and could not be installed — install wireguard-tools and run the command again"
  MP_DIR=$(mktemp -d) || mp_fail "could not make a temporary directory"
  trap 'rm -rf "$MP_DIR"' EXIT
  umask 077
  # The same machine keeps its key: a re-run is recognised as this machine, not a new peer.
  [ -f "$MP_TUNNEL_CONF" ] && sed -n 's/^PrivateKey *= *//p' "$MP_TUNNEL_CONF" > "$MP_DIR/key"
  [ -s "$MP_DIR/key" ] || wg genkey > "$MP_DIR/key" || mp_fail "wg genkey failed"
  pub=$(wg pubkey < "$MP_DIR/key") || mp_fail "wg pubkey failed"
  mid=$( (cat /etc/machine-id || cat /var/lib/dbus/machine-id || ioreg -rd1 -c IOPlatformExpertDevice | awk -F'"' '/IOPlatformUUID/{print $4}') 2>/dev/null | head -n 1)
  [ -n "$mid" ] || mp_fail "this PC has no machine id (/etc/machine-id) — create one (systemd-machine-id-setup) and run the command again"
  mid=$(printf '%s' "$mid" | { sha256sum 2>/dev/null || shasum -a 256; } | cut -d' ' -f1)
  say "asking the hub to enroll $MP_NAME (the private key stays on this PC)"
  code=$(curl -sS --max-time 900 -o "$MP_DIR/answer" -w '%{http_code}' \\
    --data-urlencode "public_key=$pub" --data-urlencode "machine_id=$mid" --data-urlencode "facts=$facts" \\
    "$MP_URL") || mp_fail "could not reach $MP_URL"
  [ "$code" = 200 ] || mp_fail "$(head -c 600 "$MP_DIR/answer")"
  MP_KEY="$MP_DIR/key" MP_USER="$MP_USER" sh "$MP_DIR/answer"
}

main "$@" < /dev/null
`;
}

/** Windows: the same steps in PowerShell, run elevated; the agent runs as the user who ran it. */
export function stage1Ps(s: Stage1): string {
  const q = (v: string): string => `'${v.replace(/'/g, "''")}'`;
  return `# meshpilot: enrolls this PC into the mesh as ${JSON.stringify(s.name)} (${s.os}/${s.arch}).
$ErrorActionPreference = 'Stop'
$MpUrl = ${q(s.url)}
$MpName = ${q(s.name)}
$MpAgentSha256 = ${q(s.agentSha256)}
function Fail-Enroll([string]$m) { Write-Host "meshpilot: $m"; exit 1 }
$me = [Security.Principal.WindowsIdentity]::GetCurrent()
if (-not ([Security.Principal.WindowsPrincipal]$me).IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)) {
  Fail-Enroll 'run it in an elevated PowerShell (Run as administrator)'
}
$arch = if ($env:PROCESSOR_ARCHITECTURE -eq 'ARM64') { 'arm64' } else { 'amd64' }
if ($arch -ne ${q(s.arch)}) { Fail-Enroll "this link is for windows/${s.arch} and this PC is windows/$arch - ask for a new one with !add-pc $MpName --via pull --os windows --arch $arch" }
$wg = Join-Path $env:ProgramFiles 'WireGuard\\wg.exe'
if (-not (Test-Path $wg)) {
  Write-Host "meshpilot: installing WireGuard for Windows"
  winget install --id WireGuard.WireGuard -e --silent --accept-source-agreements --accept-package-agreements | Out-Null
}
if (-not (Test-Path $wg)) { Fail-Enroll 'WireGuard for Windows is not installed and winget could not install it - install it and run the command again' }
$MpDir = Join-Path $env:TEMP ('meshpilot-' + [guid]::NewGuid())
New-Item -ItemType Directory -Path $MpDir | Out-Null
$key = (& $wg genkey).Trim()
$pub = ($key | & $wg pubkey).Trim()
$guid = (Get-ItemProperty 'HKLM:\\SOFTWARE\\Microsoft\\Cryptography').MachineGuid
$sha = [Security.Cryptography.SHA256]::Create()
$mid = -join ($sha.ComputeHash([Text.Encoding]::UTF8.GetBytes($guid)) | ForEach-Object { $_.ToString('x2') })
$os = Get-CimInstance Win32_OperatingSystem
$facts = "os=windows\`narch=$arch\`npretty=$($os.Caption) $($os.Version)\`nhome=$env:USERPROFILE\`nuser=$env:USERNAME\`nuid=admin\`ninit=schtasks\`npm=winget\`nsudo=yes\`nsid=$($me.User.Value)"
Write-Host "meshpilot: asking the hub to enroll $MpName (the private key stays on this PC)"
try {
  $answer = Invoke-WebRequest -UseBasicParsing -Method Post -Uri $MpUrl -TimeoutSec 900 -Body @{ public_key = $pub; machine_id = $mid; facts = $facts }
} catch {
  Fail-Enroll ("the hub refused: " + $_.ErrorDetails.Message)
}
$env:MP_KEY = $key
Invoke-Expression $answer.Content
Remove-Item -Recurse -Force $MpDir
`;
}
