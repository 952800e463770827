import type { Shell } from "../wg/shell";
import { normaliseArch } from "./builds";
import type { TargetFacts } from "./types";
import { outputLines, powershellCommand } from "./windows-powershell";

/**
 * The first thing sent to a new host, before its shell is known. sshd runs it with the
 * account's shell: POSIX sh (or zsh/bash) on Unix; on Windows OpenSSH, cmd.exe or
 * PowerShell (DefaultShell). One line with no quotes or operators any of them treats
 * specially, and `$?` tells them apart: sh expands it to 0, PowerShell to True, cmd.exe
 * prints it as it is.
 */
export const SHELL_PROBE = "echo meshpilot-probe:$?";

export type ProbedShell = "sh" | "cmd" | "powershell" | "unknown";

export function probedShell(stdout: string): ProbedShell {
  const answer = outputLines(stdout).find((l) => l.startsWith("meshpilot-probe:"));
  const value = answer?.slice("meshpilot-probe:".length);
  return value === "0" ? "sh" : value === "$?" ? "cmd" : value === "True" ? "powershell" : "unknown";
}

/**
 * The facts from POSIX sh. A Mac's SSH shell is not a login shell, so its PATH lacks
 * Homebrew (brew shellenv lives in .zprofile): put Homebrew's bin first, /opt/homebrew on
 * Apple silicon and /usr/local on Intel, so wg-quick and brew are found where they are.
 */
export const DETECT_SCRIPT = `
os=$(uname -s 2>/dev/null)
if [ "$os" = Darwin ]; then
  PATH=/opt/homebrew/bin:/usr/local/bin:$PATH; export PATH
  pretty="$(sw_vers -productName 2>/dev/null) $(sw_vers -productVersion 2>/dev/null)"
else
  pretty=$( (. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME") )
fi
echo "os=$os"
echo "arch=$(uname -m 2>/dev/null)"
echo "pretty=$pretty"
echo "home=$HOME"
echo "user=$(id -un)"
echo "uid=$(id -u)"
if [ -d /run/systemd/system ]; then echo "init=systemd"; elif command -v launchctl >/dev/null 2>&1; then echo "init=launchd"; else echo "init=none"; fi
for pm in apt-get dnf pacman apk brew; do command -v "$pm" >/dev/null 2>&1 && { echo "pm=$pm"; break; }; done
command -v wg-quick >/dev/null 2>&1 && { [ "$os" != Darwin ] || command -v wireguard-go >/dev/null 2>&1; } && echo "wgquick=yes"
{ [ "$(id -u)" = 0 ] || sudo -n true 2>/dev/null; } && echo "sudo=yes"
true
`;

/**
 * The facts from Windows, as PowerShell sent encoded (so cmd.exe and PowerShell pass it
 * through untouched). Elevated means the token holds the Administrators group: an
 * administrator's OpenSSH session is elevated, a filtered (UAC) token is not.
 */
export const WINDOWS_DETECT_SCRIPT = [
  "$id = [Security.Principal.WindowsIdentity]::GetCurrent()",
  "$admin = ([Security.Principal.WindowsPrincipal]$id).IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)",
  // A 32-bit PowerShell on 64-bit Windows sees x86 here and the real arch in ARCHITEW6432.
  "$arch = $env:PROCESSOR_ARCHITEW6432; if (-not $arch) { $arch = $env:PROCESSOR_ARCHITECTURE }",
  "try { $pretty = (Get-CimInstance Win32_OperatingSystem).Caption.Trim() + ' ' + [Environment]::OSVersion.Version } catch { $pretty = [Environment]::OSVersion.VersionString }",
  "'os=windows'",
  "'arch=' + $arch",
  "'pretty=' + $pretty",
  "'home=' + $env:USERPROFILE",
  "'user=' + $env:USERNAME",
  "if ($admin) { 'admin=yes' }",
  "if (Get-Command winget -ErrorAction SilentlyContinue) { 'pm=winget' }",
  "if (Test-Path -LiteralPath (Join-Path $env:ProgramFiles 'WireGuard\\wireguard.exe')) { 'wgquick=yes' }",
].join("\n");

/** What the target is; `os` is "" when it answered neither like Unix nor like Windows. */
export async function detectTarget(shell: Shell): Promise<TargetFacts> {
  const probe = await shell.run(SHELL_PROBE);
  const kind = probedShell(probe.stdout);
  if (kind === "cmd" || kind === "powershell") return detectWindows(shell);
  if (kind === "unknown") return unknownTarget();
  const facts = parseFacts((await shell.run(DETECT_SCRIPT)).stdout);
  const rawOs = facts.get("os") ?? "";
  // Git for Windows' bash as OpenSSH's DefaultShell: still Windows underneath.
  if (/^(MINGW|MSYS|CYGWIN)/i.test(rawOs)) return detectWindows(shell);
  if (!rawOs) return unknownTarget();
  return {
    os: rawOs.toLowerCase(),
    arch: normaliseArch(facts.get("arch") ?? ""),
    osPretty: facts.get("pretty") || rawOs,
    home: facts.get("home") ?? "",
    user: facts.get("user") ?? "",
    isRoot: facts.get("uid") === "0",
    init: (["systemd", "launchd"] as const).find((i) => i === facts.get("init")) ?? "none",
    packageManager: (facts.get("pm") as TargetFacts["packageManager"] | undefined) ?? "none",
    hasWgQuick: facts.get("wgquick") === "yes",
    canSudo: facts.get("sudo") === "yes",
  };
}

export function parseFacts(stdout: string): Map<string, string> {
  return new Map(
    stdout
      .split("\n")
      .filter((l) => l.includes("="))
      .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1).trim()]),
  );
}

async function detectWindows(shell: Shell): Promise<TargetFacts> {
  const result = await shell.run(powershellCommand(WINDOWS_DETECT_SCRIPT));
  const facts = parseFacts(result.stdout);
  if (result.exitCode !== 0 || facts.get("os") !== "windows") return unknownTarget();
  const admin = facts.get("admin") === "yes";
  return {
    os: "windows",
    arch: normaliseArch(facts.get("arch") ?? ""),
    osPretty: facts.get("pretty") || "Windows",
    home: facts.get("home") ?? "",
    user: facts.get("user") ?? "",
    isRoot: admin,
    init: "schtasks",
    packageManager: facts.get("pm") === "winget" ? "winget" : "none",
    hasWgQuick: facts.get("wgquick") === "yes",
    // Windows has no sudo: what needs an administrator needs an elevated session.
    canSudo: admin,
  };
}

function unknownTarget(): TargetFacts {
  return {
    os: "",
    arch: "",
    osPretty: "",
    home: "",
    user: "",
    isRoot: false,
    init: "none",
    packageManager: "none",
    hasWgQuick: false,
    canSudo: false,
  };
}
