import { UserError } from "../../common/errors";
import { hasControlCharacter } from "../account-home";
import { compressedAgent } from "../wg/agent-install";
import { SERVICE_NAME, windowsTaskXml } from "../wg/services/render";
import type { Shell } from "../wg/shell";
import { CHECKSUM_MISMATCH } from "./posix";
import type { AgentLayout, LocalAgent, TargetAdapter } from "./types";
import {
  copyStdinTo,
  gunzipStdinTo,
  mustRunPowerShell,
  native,
  outputLines,
  psArray,
  psQuote,
  quietly,
  runPowerShell,
} from "./windows-powershell";

/**
 * Windows: PowerShell (as -EncodedCommand) over OpenSSH; the agent under
 * %USERPROFILE%\AppData\Local\meshpilot, kept running by a Task Scheduler task; the mesh
 * through WireGuard for Windows' tunnel service (wireguard-nt, so no userspace choice).
 */

/** The agent builds there are for Windows (builds.ts); ARM64 Windows has none yet. */
const ARCHES = ["amd64"];

/** The tunnel configs: admin-only, outside WireGuard's own Configurations folder (which it re-encrypts). */
const TUNNEL_DIR = "meshpilot\\wireguard";
const WIREGUARD_EXE = "Join-Path $env:ProgramFiles 'WireGuard\\wireguard.exe'";
/** Administrators and SYSTEM by SID, so it works in every language. */
const ADMINS_ONLY = "'*S-1-5-32-544:(OI)(CI)F' '*S-1-5-18:(OI)(CI)F'";
/** The user running the script, by SID (a name could be ambiguous between machine and domain). */
const ME = "('*' + [Security.Principal.WindowsIdentity]::GetCurrent().User.Value + ':F')";

export function windowsLayout(home: string): AgentLayout {
  const root = `${home.replace(/\\+$/, "")}\\AppData\\Local\\meshpilot`;
  const bin = `${root}\\bin`;
  const configDir = `${root}\\config`;
  const stateDir = `${root}\\state`;
  return {
    binary: `${bin}\\device-agent.exe`,
    configDir,
    config: `${configDir}\\agent.yaml`,
    manifest: `${configDir}\\manifest.yaml`,
    secret: `${configDir}\\agent.secret`,
    stateDir,
    audit: `${stateDir}\\audit.db`,
    log: `${stateDir}\\agent.log`,
    pidfile: `${stateDir}\\agent.pid`,
    // Task Scheduler is always there (and restarts the agent itself), so this loop is never written.
    supervisor: `${bin}\\supervise.ps1`,
    unit: `${configDir}\\${SERVICE_NAME}.xml`,
    owned: [root],
  };
}

/** WireGuard for Windows names the tunnel service after the file; it accepts only these names. */
function tunnelName(ifname: string): string {
  if (!/^[A-Za-z0-9_=+.-]{1,32}$/.test(ifname)) {
    throw new UserError(
      `"${ifname}" cannot name a WireGuard tunnel on Windows — use 1 to 32 letters, digits or _=+.-`,
    );
  }
  return ifname;
}

/** PowerShell that sets $name, $svc, $conf and $wg for a tunnel. */
function tunnelVars(ifname: string): string {
  const name = psQuote(tunnelName(ifname));
  return [
    `$name = ${name}`,
    "$svc = 'WireGuardTunnel$' + $name",
    `$conf = Join-Path $env:ProgramData (${psQuote(`${TUNNEL_DIR}\\`)} + $name + '.conf')`,
    `$wg = ${WIREGUARD_EXE}`,
    // wireguard.exe is a GUI program: PowerShell would not wait for it without Start-Process -Wait.
    "function Invoke-WireGuard([string]$arguments) {",
    "  $p = Start-Process -FilePath $wg -ArgumentList $arguments -Wait -PassThru -NoNewWindow",
    "  if ($p.ExitCode -ne 0) { throw ('wireguard.exe ' + $arguments + ' exited with ' + $p.ExitCode) }",
    "}",
    "function Remove-Tunnel {",
    "  if (Get-Service -Name $svc -ErrorAction SilentlyContinue) {",
    "    Invoke-WireGuard ('/uninstalltunnelservice ' + $name)",
    "    for ($i = 0; $i -lt 40 -and (Get-Service -Name $svc -ErrorAction SilentlyContinue); $i++) { Start-Sleep -Milliseconds 250 }",
    "  }",
    "}",
  ].join("\n");
}

/**
 * Puts the finished `$tmp` in place of `$path` in one step (File.Replace keeps the old
 * file's ACL, so callers that care set it again). [NullString]::Value, because PowerShell
 * would pass $null to a string parameter as "".
 */
const REPLACE =
  "if ([IO.File]::Exists($path)) { [IO.File]::Replace($tmp, $path, [NullString]::Value) } else { [IO.File]::Move($tmp, $path) }";

/** Writes stdin to `path` with an ACL for the running user only, set before any byte is written. */
function privateFileScript(path: string): string {
  const onlyMe = (file: string): string => native(`icacls ${file} /inheritance:r /grant:r $me | Out-Null`);
  return [
    `$path = ${psQuote(path)}`,
    "$tmp = $path + '.tmp'",
    `$me = ${ME}`,
    "[void][IO.Directory]::CreateDirectory([IO.Path]::GetDirectoryName($path))",
    "[IO.File]::WriteAllBytes($tmp, [byte[]]@())",
    onlyMe("$tmp"),
    copyStdinTo("$tmp"),
    REPLACE,
    onlyMe("$path"),
  ].join("\n");
}

async function writePrivate(shell: Shell, path: string, input: string | Buffer, what: string): Promise<void> {
  await mustRunPowerShell(shell, privateFileScript(path), what, { input });
}

/**
 * The SID of the account the SSH session runs as, for the task's principal: a name like
 * "ana" can be ambiguous between the machine and a domain, a SID cannot.
 */
async function currentSid(shell: Shell): Promise<string> {
  const out = await mustRunPowerShell(
    shell,
    "[Security.Principal.WindowsIdentity]::GetCurrent().User.Value",
    "reading the Windows account's SID",
  );
  const sid = outputLines(out)[0];
  if (!sid || !/^S-1-[0-9-]+$/.test(sid))
    throw new UserError(`${shell.where} did not say which Windows account the SSH session runs as`);
  return sid;
}

/**
 * The profile folder of the account the SSH session runs as (which is `user`), read by
 * PowerShell rather than cmd's %USERPROFILE%: cmd would act on a & in the expanded path.
 */
async function windowsHome(shell: Shell, user: string): Promise<string> {
  const out = await mustRunPowerShell(
    shell,
    "[Environment]::GetFolderPath('UserProfile')",
    `reading ${user}'s profile folder`,
  );
  const lines = outputLines(out);
  const home = lines[0] ?? "";
  if (
    lines.length !== 1 ||
    !/^[A-Za-z]:\\/.test(home) ||
    hasControlCharacter(home) ||
    /(^|\\)\.\.(\\|$)/.test(home)
  ) {
    throw new UserError(
      `could not read the profile folder of ${user} on ${shell.where} (it answered ${JSON.stringify(out.slice(0, 200))}) — check that the account has a local profile (log on once) and connect again`,
    );
  }
  return home;
}

/** schtasks /Create wants the XML's bytes to match its declared encoding (UTF-16): LE with a BOM. */
export function utf16WithBom(text: string): Buffer {
  return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, "utf16le")]);
}

export function windowsAdapter(): TargetAdapter {
  const adapter: TargetAdapter = {
    os: "windows",

    refusal(facts, device) {
      if (facts.arch !== undefined && !ARCHES.includes(facts.arch))
        return `${device} is Windows on ${facts.arch}, and there is no device agent for that — supported: ${ARCHES.join(", ")}; add it with --via ssh instead`;
      if (facts.isRoot === false)
        return `${facts.user || "the SSH user"} is not an elevated administrator on ${device}, and installing WireGuard's tunnel service needs one — connect as a member of Administrators (OpenSSH gives administrators an elevated session)`;
      return undefined;
    },

    home: windowsHome,
    layout: windowsLayout,

    async ensureWireguard(shell) {
      const probe = await mustRunPowerShell(
        shell,
        `if (Test-Path -LiteralPath (${WIREGUARD_EXE})) { 'present' } elseif (Get-Command winget -ErrorAction SilentlyContinue) { 'winget' } else { 'none' }`,
        "looking for WireGuard",
      );
      const found = outputLines(probe)[0];
      if (found === "present") return "present";
      if (found !== "winget") {
        throw new UserError(
          `WireGuard is not installed on ${shell.where} and winget was not found — install WireGuard for Windows (https://www.wireguard.com/install/) there and run the command again`,
        );
      }
      await mustRunPowerShell(
        shell,
        [
          native(
            "winget install --exact --id WireGuard.WireGuard --silent --accept-package-agreements --accept-source-agreements",
          ),
          `if (-not (Test-Path -LiteralPath (${WIREGUARD_EXE}))) { throw 'winget finished, but wireguard.exe is not in Program Files' }`,
        ].join("\n"),
        "installing WireGuard with winget",
        { timeoutMs: 900_000 },
      );
      return "installed";
    },

    tunnelConfigPath: (ifname) => `%ProgramData%\\${TUNNEL_DIR}\\${tunnelName(ifname)}.conf`,

    async installTunnelConfig(shell, ifname, text) {
      await mustRunPowerShell(
        shell,
        [
          tunnelVars(ifname),
          "$dir = [IO.Path]::GetDirectoryName($conf)",
          "[void][IO.Directory]::CreateDirectory($dir)",
          native(`icacls $dir /inheritance:r /grant:r ${ADMINS_ONLY} | Out-Null`),
          "$path = $conf",
          "$tmp = $conf + '.tmp'",
          copyStdinTo("$tmp"),
          REPLACE,
        ].join("\n"),
        "installing the WireGuard config",
        { input: text },
      );
    },

    // WireGuard for Windows always runs wireguard-nt: there is no userspace implementation to pick.
    async tunnelUp(shell, ifname, _userspace) {
      await mustRunPowerShell(
        shell,
        [
          tunnelVars(ifname),
          "Remove-Tunnel",
          `Invoke-WireGuard ('/installtunnelservice "' + $conf + '"')`,
          "(Get-Service -Name $svc).WaitForStatus('Running', [TimeSpan]::FromSeconds(30))",
        ].join("\n"),
        "bringing the tunnel up",
      );
    },

    async removeTunnel(shell, ifname) {
      await mustRunPowerShell(
        shell,
        [
          tunnelVars(ifname),
          "Remove-Tunnel",
          "if (Test-Path -LiteralPath $conf) { Remove-Item -LiteralPath $conf -Force }",
        ].join("\n"),
        "removing the tunnel",
      );
    },

    async tunnelIsUp(shell, ifname) {
      const result = await runPowerShell(
        shell,
        [
          tunnelVars(ifname),
          "$s = Get-Service -Name $svc -ErrorAction SilentlyContinue",
          "if ($s -and $s.Status -eq 'Running' -and (Test-Path -LiteralPath $conf)) { exit 0 }",
          "exit 1",
        ].join("\n"),
      );
      return result.exitCode === 0;
    },

    async tunnelConfigPresent(shell, ifname) {
      const result = await runPowerShell(
        shell,
        [tunnelVars(ifname), "if (Test-Path -LiteralPath $conf) { exit 0 }", "exit 1"].join("\n"),
      );
      return result.exitCode === 0;
    },

    async uploadAgent(shell, layout, agent: LocalAgent) {
      const hashOf = (variable: string): string =>
        `(Get-FileHash -LiteralPath ${variable} -Algorithm SHA256).Hash.ToLowerInvariant()`;
      const bin = `$bin = ${psQuote(layout.binary)}`;
      const current = await runPowerShell(
        shell,
        [bin, `if ([IO.File]::Exists($bin)) { ${hashOf("$bin")} }`].join("\n"),
      );
      if (current.exitCode === 0 && outputLines(current.stdout)[0] === agent.sha256.toLowerCase()) return 0;
      const gz = await compressedAgent(agent);
      // One script: unpack the gzip from stdin, check the result, swap it in (one SSH exec, not three).
      const result = await runPowerShell(
        shell,
        [
          bin,
          "$tmp = $bin + '.upload'",
          "[void][IO.Directory]::CreateDirectory([IO.Path]::GetDirectoryName($bin))",
          gunzipStdinTo("$tmp"),
          `if (${hashOf("$tmp")} -ne ${psQuote(agent.sha256.toLowerCase())}) { Remove-Item -LiteralPath $tmp -Force; exit ${CHECKSUM_MISMATCH} }`,
          "$old = $bin + '.old'",
          // A running executable cannot be replaced, but it can be renamed out of the way.
          "if ([IO.File]::Exists($old)) { Remove-Item -LiteralPath $old -Force }",
          "if ([IO.File]::Exists($bin)) { [IO.File]::Move($bin, $old) }",
          "[IO.File]::Move($tmp, $bin)",
          "try { [IO.File]::Delete($old) } catch { }",
        ].join("\n"),
        { input: gz.open(), timeoutMs: 600_000 },
      );
      if (result.exitCode === CHECKSUM_MISMATCH)
        throw new UserError(
          `the agent uploaded to ${shell.where} does not match its checksum — the transfer was corrupted; run the command again`,
        );
      if (result.exitCode !== 0) {
        const said = outputLines(result.stderr || result.stdout)
          .slice(-3)
          .join(" / ");
        throw new UserError(
          `uploading the device agent failed on ${shell.where} (exit ${result.exitCode ?? "?"}${said ? `: ${said}` : ""})`,
        );
      }
      return gz.bytes;
    },

    writePrivateFile: (shell, path, text) => writePrivate(shell, path, text, `writing ${path}`),

    async installService(shell, layout, facts) {
      // A pulled PC said its SID in its hello: a script cannot read the session's.
      const sid = facts.sid ?? (await currentSid(shell));
      const xml = windowsTaskXml({ binary: layout.binary, config: layout.config, log: layout.log }, sid);
      await writePrivate(shell, layout.unit, utf16WithBom(xml), "writing the agent's scheduled task");
    },

    async startAgent(shell, layout, facts) {
      await adapter.stopAgent(shell, layout, facts);
      await mustRunPowerShell(
        shell,
        [
          native(`schtasks /Create /XML ${psQuote(layout.unit)} /TN ${psQuote(SERVICE_NAME)} /F | Out-Null`),
          native(`schtasks /Run /TN ${psQuote(SERVICE_NAME)} | Out-Null`),
        ].join("\n"),
        "starting the agent's scheduled task",
      );
    },

    async stopAgent(shell, layout) {
      await mustRunPowerShell(
        shell,
        [
          quietly(`schtasks /End /TN ${psQuote(SERVICE_NAME)}`),
          quietly(`schtasks /Delete /TN ${psQuote(SERVICE_NAME)} /F`),
          `$bin = ${psQuote(layout.binary)}`,
          "Get-Process -Name 'device-agent' -ErrorAction SilentlyContinue | Where-Object { $_.Path -eq $bin } | Stop-Process -Force",
        ].join("\n"),
        "stopping the agent",
      );
    },

    async removeAgentFiles(shell, layout) {
      await mustRunPowerShell(
        shell,
        `foreach ($p in ${psArray(layout.owned)}) { if (Test-Path -LiteralPath $p) { Remove-Item -LiteralPath $p -Recurse -Force } }`,
        "removing the agent's files",
      );
    },

    async missingAgentFiles(shell, layout) {
      const files = [layout.binary, layout.config, layout.manifest, layout.secret, layout.unit];
      const result = await mustRunPowerShell(
        shell,
        `foreach ($p in ${psArray(files)}) { if (-not (Test-Path -LiteralPath $p)) { $p } }`,
        "looking for the agent's files",
      );
      return outputLines(result);
    },
  };
  return adapter;
}

export const windowsTarget = windowsAdapter();
