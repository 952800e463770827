import { shellQuote } from "../../ssh/quote";
import type { AgentLayout, TargetAdapter, TargetFacts } from "../targets/types";
import { PsScriptShell, ShScriptShell, type ScriptLines } from "./script-shell";

/** Stands for the private key in the tunnel config; the PC fills it in from its own key file. */
export const PRIVATE_KEY_SLOT = "@MESHPILOT_PRIVATE_KEY@";

/** Everything the PC installs, as push would over SSH (the same adapter calls). */
export interface Install {
  adapter: TargetAdapter;
  facts: TargetFacts;
  layout: AgentLayout;
  /** The link; the PC downloads `${url}/agent` and reports to `${url}/done`. */
  url: string;
  ifname: string;
  userspace: string | undefined;
  /** The wg-quick file with PRIVATE_KEY_SLOT for the key. */
  tunnelConfig: string;
  agentSha256: string;
  secret: string;
  manifest: string;
  agentConfig: string;
}

/** Where the uninstall script is left on the PC (revoke names it: the bot cannot reach a pulled PC). */
export function uninstallPath(layout: AgentLayout, os: string): string {
  const dir = layout.binary.slice(
    0,
    Math.max(layout.binary.lastIndexOf("/"), layout.binary.lastIndexOf("\\")),
  );
  return os === "windows" ? `${dir}\\uninstall.ps1` : `${dir}/uninstall.sh`;
}

/**
 * The install script a PC gets back for its hello (Linux, macOS): the tunnel as root, the
 * agent as the user, every command from the OS adapter; on any failure it undoes what it
 * did and tells the bot, which rolls back its side.
 */
export async function stage2Sh(i: Install): Promise<string> {
  const key = { [PRIVATE_KEY_SLOT]: '$(cat "$MP_KEY")' };
  const root = new ShScriptShell("this PC", "root", key);
  const user = new ShScriptShell("this PC", "user");
  await i.adapter.installTunnelConfig(root, i.ifname, i.tunnelConfig);
  await i.adapter.tunnelUp(root, i.ifname, i.userspace);
  user.lines.push(
    `as_user ${shellQuote([downloadAgent(i)])} </dev/null || mp_fail 'the agent download (checksum)'`,
  );
  await i.adapter.writePrivateFile(user, i.layout.secret, `${i.secret}\n`);
  await i.adapter.writePrivateFile(user, i.layout.manifest, i.manifest);
  await i.adapter.writePrivateFile(user, i.layout.config, i.agentConfig);
  await i.adapter.installService(user, i.layout, i.facts);
  const linger =
    i.facts.init === "systemd"
      ? ['loginctl enable-linger "$MP_USER" || mp_fail "loginctl enable-linger"']
      : [];
  await i.adapter.startAgent(user, i.layout, i.facts);

  const cleanup = await cleanupLines(i);
  const uninstall = uninstallPath(i.layout, i.facts.os);
  const uninstallScript = [
    "#!/bin/sh",
    "# meshpilot: removes the agent, its service and the tunnel from this PC. Run: sudo sh " + uninstall,
    `MP_USER=${shellQuote([i.facts.user])}`,
    AS_USER,
    ...cleanup,
    "echo 'meshpilot: removed'",
    "",
  ].join("\n");
  await i.adapter.writePrivateFile(user, uninstall, uninstallScript);

  const url = shellQuote([i.url]);
  return [
    "#!/bin/sh",
    `# meshpilot: installs the tunnel and the agent for ${i.facts.user}; run by the enrollment script.`,
    "set -u",
    AS_USER,
    "say() { printf 'meshpilot: %s\\n' \"$*\" >&2; }",
    "mp_cleanup() {",
    ...cleanup.map((l) => `  ${l}`),
    "}",
    "mp_fail() {",
    '  say "failed: $1 — undoing what was done here"',
    "  mp_cleanup >/dev/null 2>&1",
    `  curl -sS --max-time 30 -o /dev/null --data-urlencode ok=no --data-urlencode "detail=$1" ${url}/done`,
    "  exit 1",
    "}",
    'say "bringing the tunnel up"',
    ...root.lines,
    ...linger,
    'say "installing the agent"',
    ...user.lines,
    `curl -sS --max-time 30 -o /dev/null --data-urlencode ok=yes --data-urlencode detail=installed ${url}/done || mp_fail 'reporting to the hub'`,
    `say "installed; the hub finishes over the mesh. To remove it later: sudo sh ${uninstall}"`,
    "",
  ].join("\n");
}

/** Runs a command as the agent's user (MP_USER), with its home and its per-user service manager. */
export const AS_USER = `as_user() {
  if [ "$MP_USER" = root ]; then sh -c "$1"
  else sudo -u "$MP_USER" -H env XDG_RUNTIME_DIR="/run/user/$(id -u "$MP_USER")" PATH="/opt/homebrew/bin:/usr/local/bin:$PATH" sh -c "$1"; fi
}`;

function downloadAgent(i: Install): string {
  const bin = shellQuote([i.layout.binary]);
  const tmp = shellQuote([`${i.layout.binary}.download`]);
  const sum = i.facts.os === "darwin" ? "shasum -a 256" : "sha256sum";
  return [
    `mkdir -p "$(dirname ${bin})"`,
    `curl -fsSL ${shellQuote([`${i.url}/agent`])} | gunzip > ${tmp}`,
    `[ "$(${sum} ${tmp} | cut -d' ' -f1)" = ${shellQuote([i.agentSha256])} ] || { rm -f ${tmp}; echo 'the downloaded agent does not match its checksum' >&2; exit 1; }`,
    `chmod 755 ${tmp}`,
    `mv ${tmp} ${bin}`,
  ].join(" && ");
}

async function cleanupLines(i: Install): Promise<string[]> {
  const root = new ShScriptShell("this PC", "root", {}, "ignore");
  const user = new ShScriptShell("this PC", "user", {}, "ignore");
  await i.adapter.stopAgent(user, i.layout, i.facts);
  await i.adapter.removeAgentFiles(user, i.layout);
  await i.adapter.removeTunnel(root, i.ifname);
  return [...user.lines, ...root.lines];
}

/** Windows: the same adapter calls as PowerShell lines, run by the elevated enrollment script. */
export async function stage2Ps(i: Install): Promise<string> {
  const ps = new PsScriptShell("this PC", { [PRIVATE_KEY_SLOT]: "$env:MP_KEY" });
  await i.adapter.installTunnelConfig(ps, i.ifname, i.tunnelConfig);
  await i.adapter.tunnelUp(ps, i.ifname, i.userspace);
  const bin = psQuote(i.layout.binary);
  ps.lines.push(
    [
      `New-Item -ItemType Directory -Force -Path (Split-Path ${bin}) | Out-Null`,
      `$gz = Join-Path $env:TEMP ('meshpilot-agent-' + [guid]::NewGuid() + '.gz')`,
      `Invoke-WebRequest -UseBasicParsing -Uri ${psQuote(`${i.url}/agent`)} -OutFile $gz`,
      `$in = [IO.File]::OpenRead($gz); $out = [IO.File]::Create(${bin} + '.download')`,
      `$z = New-Object IO.Compression.GZipStream($in, [IO.Compression.CompressionMode]::Decompress); $z.CopyTo($out); $z.Dispose(); $out.Dispose(); $in.Dispose(); Remove-Item $gz`,
      `if ((Get-FileHash -Algorithm SHA256 (${bin} + '.download')).Hash.ToLower() -ne ${psQuote(i.agentSha256)}) { Remove-Item (${bin} + '.download'); Fail-Enroll 'the downloaded agent does not match its checksum' }`,
      `Move-Item -Force (${bin} + '.download') ${bin}`,
    ].join("\n"),
  );
  await i.adapter.writePrivateFile(ps, i.layout.secret, `${i.secret}\n`);
  await i.adapter.writePrivateFile(ps, i.layout.manifest, i.manifest);
  await i.adapter.writePrivateFile(ps, i.layout.config, i.agentConfig);
  await i.adapter.installService(ps, i.layout, i.facts);
  await i.adapter.startAgent(ps, i.layout, i.facts);
  const url = psQuote(`${i.url}/done`);
  return [
    "# meshpilot: installs the tunnel and the agent; run by the enrollment script.",
    `function Fail-Enroll([string]$m) { Write-Host "meshpilot: failed: $m"; try { Invoke-WebRequest -UseBasicParsing -Method Post -Uri ${url} -Body @{ ok = 'no'; detail = $m } | Out-Null } catch {}; exit 1 }`,
    ...ps.lines,
    `Invoke-WebRequest -UseBasicParsing -Method Post -Uri ${url} -Body @{ ok = 'yes'; detail = 'installed' } | Out-Null`,
    `Write-Host 'meshpilot: installed; the hub finishes over the mesh.'`,
    "",
  ].join("\n");
}

function psQuote(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

export type { ScriptLines };
