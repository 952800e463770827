import type { Shell } from "../wg/shell";
import { normaliseArch } from "./builds";
import type { TargetFacts } from "./types";

/**
 * One probe for every OS: POSIX sh answers the first script; a Windows OpenSSH shell
 * (cmd or PowerShell) has no uname, so `ver` tells it apart from "no idea".
 */
export const DETECT_SCRIPT = `
echo "os=$(uname -s 2>/dev/null)"
echo "arch=$(uname -m 2>/dev/null)"
echo "pretty=$( (. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME") || sw_vers -productName 2>/dev/null )"
echo "home=$HOME"
echo "user=$(id -un)"
echo "uid=$(id -u)"
if [ -d /run/systemd/system ]; then echo "init=systemd"; elif command -v launchctl >/dev/null 2>&1; then echo "init=launchd"; else echo "init=none"; fi
for pm in apt-get dnf pacman apk brew; do command -v "$pm" >/dev/null 2>&1 && { echo "pm=$pm"; break; }; done
command -v wg-quick >/dev/null 2>&1 && echo "wgquick=yes"
{ [ "$(id -u)" = 0 ] || sudo -n true 2>/dev/null; } && echo "sudo=yes"
true
`;

/** What the target is; `os` is "" when it answered neither like Unix nor like Windows. */
export async function detectTarget(shell: Shell): Promise<TargetFacts> {
  const result = await shell.run(DETECT_SCRIPT);
  const facts = parseFacts(result.stdout);
  const rawOs = facts.get("os") ?? "";
  if (!rawOs) return windowsOrUnknown(shell);
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

async function windowsOrUnknown(shell: Shell): Promise<TargetFacts> {
  const ver = await shell.run("cmd /c ver");
  const windows = ver.exitCode === 0 && /Microsoft Windows/i.test(ver.stdout);
  const arch = windows ? await shell.run("cmd /c echo %PROCESSOR_ARCHITECTURE%") : undefined;
  return {
    os: windows ? "windows" : "",
    arch: normaliseArch(arch?.stdout.trim() ?? ""),
    osPretty: windows ? ver.stdout.trim() : "",
    home: "",
    user: "",
    isRoot: false,
    init: windows ? "schtasks" : "none",
    packageManager: "none",
    hasWgQuick: false,
    canSudo: false,
  };
}
