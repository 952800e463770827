import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { UserError } from "../../../../common/errors";
import type { TargetFacts } from "../../../../provisioning/targets/types";
import {
  utf16WithBom,
  windowsAdapter,
  windowsLayout,
  windowsTarget,
} from "../../../../provisioning/targets/windows";
import { MAX_COMMAND_LINE, PRELUDE, scriptOf } from "../../../../provisioning/targets/windows-powershell";
import { exerciseAll, factsFor, psProblem, xmllintProblem, xmlProblem } from "./checks";
import { answers, FakeShell } from "./fake-shell";

const win = (over: Partial<TargetFacts> = {}): TargetFacts =>
  factsFor({
    os: "windows",
    home: "C:\\Users\\ana",
    init: "schtasks",
    isRoot: true,
    canSudo: false,
    ...over,
  });

const verified = windowsAdapter();
const SID = "S-1-5-21-1004336348-1177238915-682003330-1001";

/** The PowerShell inside a recorded command (the whole command when it is not PowerShell). */
const script = (command: string): string => scriptOf(command) ?? command;
/** A FakeShell whose rules match the decoded script. */
const winShell = (rules: Parameters<typeof answers>[0] = []) => new FakeShell("pc9", answers(rules, script));
const scripts = (shell: FakeShell): string[] => shell.commands.map(script);

let tmp: string;
beforeEach(() => {
  tmp = mkdtempSync(join(tmpdir(), "mp-windows-"));
});
afterEach(() => rmSync(tmp, { recursive: true, force: true }));

describe("windows layout and home", () => {
  test("everything under %USERPROFILE%\\AppData\\Local\\meshpilot", () => {
    const layout = windowsLayout("C:\\Users\\o'brien x\\");
    const root = "C:\\Users\\o'brien x\\AppData\\Local\\meshpilot";
    expect(layout).toEqual({
      binary: `${root}\\bin\\device-agent.exe`,
      configDir: `${root}\\config`,
      config: `${root}\\config\\agent.yaml`,
      manifest: `${root}\\config\\manifest.yaml`,
      secret: `${root}\\config\\agent.secret`,
      stateDir: `${root}\\state`,
      audit: `${root}\\state\\audit.db`,
      log: `${root}\\state\\agent.log`,
      pidfile: `${root}\\state\\agent.pid`,
      supervisor: `${root}\\bin\\supervise.ps1`,
      unit: `${root}\\config\\meshpilot-agent.xml`,
      owned: [root],
    });
    expect(windowsTarget.layout).toBe(windowsLayout);
  });

  test("home() is the profile folder as PowerShell reads it (cmd would act on a & in it)", async () => {
    const shell = winShell([["GetFolderPath('UserProfile')", { stdout: "C:\\Users\\A & B\r\n" }]]);
    await expect(windowsTarget.home(shell, "ana")).resolves.toBe("C:\\Users\\A & B");
    expect(scripts(shell)).toEqual(["[Environment]::GetFolderPath('UserProfile')"]);
    for (const answer of [
      "",
      "C:\\a\r\nC:\\b\r\n",
      "\\\\server\\x\r\n",
      "C:\\Users\\..\\x\r\n",
      "%USERPROFILE%\r\n",
    ]) {
      await expect(
        windowsTarget.home(winShell([["GetFolderPath", { stdout: answer }]]), "ana"),
      ).rejects.toThrow(
        /^could not read the profile folder of ana on pc9 \(it answered .*\) — check that the account has a local profile/,
      );
    }
  });

  test("the tunnel config lives in an admin-only folder under %ProgramData%; odd names are refused", () => {
    expect(windowsTarget.tunnelConfigPath("mp0")).toBe("%ProgramData%\\meshpilot\\wireguard\\mp0.conf");
    expect(() => windowsTarget.tunnelConfigPath("mp 0")).toThrow(
      new UserError(
        '"mp 0" cannot name a WireGuard tunnel on Windows — use 1 to 32 letters, digits or _=+.-',
      ),
    );
  });
});

describe("windows refusals", () => {
  test("push is on: --os windows alone, or an elevated administrator, is not refused", () => {
    expect(windowsTarget.refusal({ os: "windows" }, "pc9")).toBeUndefined();
    expect(windowsTarget.refusal({ os: "windows", arch: "amd64" }, "pc9")).toBeUndefined();
    expect(windowsTarget.refusal(win(), "pc9")).toBeUndefined();
  });

  test("ARM Windows has no agent build", () => {
    expect(windowsTarget.refusal({ os: "windows", arch: "arm64" }, "pc9")).toBe(
      "pc9 is Windows on arm64, and there is no device agent for that — supported: amd64; add it with --via ssh instead",
    );
  });

  test("the tunnel service needs an elevated administrator", () => {
    expect(verified.refusal(win({ isRoot: false }), "pc9")).toBe(
      "ana is not an elevated administrator on pc9, and installing WireGuard's tunnel service needs one — connect as a member of Administrators (OpenSSH gives administrators an elevated session)",
    );
    expect(verified.refusal(win(), "pc9")).toBeUndefined();
    expect(verified.refusal({ os: "windows", arch: "amd64" }, "pc9")).toBeUndefined();
  });
});

describe("windows commands", () => {
  test("every command is one short -EncodedCommand line whose script is balanced and starts with the prelude", async () => {
    const agent = join(tmp, "agent.exe");
    writeFileSync(agent, "MZ");
    const shell = winShell([
      ["GetFolderPath", { stdout: "C:\\Users\\ana\r\n" }],
      ["User.Value", { stdout: `${SID}\r\n` }],
      ["", { stdout: `${"ab".repeat(32)}\r\n` }],
    ]);
    const layout = verified.layout("C:\\Users\\o'brien \u2019x\u2019 [1] $HOME");
    await exerciseAll(verified, shell, layout, win(), agent);
    const powershell = shell.commands.filter((c) => c.startsWith("powershell "));
    expect(powershell.length).toBeGreaterThan(15);
    for (const command of powershell) {
      expect(command).toMatch(/^powershell -NoProfile -NonInteractive -EncodedCommand [A-Za-z0-9+/]+={0,2}$/);
      expect(command.length).toBeLessThanOrEqual(MAX_COMMAND_LINE);
      expect(
        scriptOf(`powershell -NoProfile -NonInteractive -EncodedCommand ${command.split(" ").pop()!}`),
      ).toBe(script(command));
      expect([script(command), psProblem(PRELUDE + script(command))]).toEqual([script(command), undefined]);
    }
    // Nothing else: no character cmd.exe or PowerShell would act on reaches either of them.
    expect(shell.commands.filter((c) => !c.startsWith("powershell "))).toEqual([]);
    for (const command of shell.commands) expect(command).not.toMatch(/['"%^&|<>`$;()]/);
    // Paths reach PowerShell as literals: the quote doubled, $HOME and [1] left alone (-LiteralPath).
    const all = scripts(shell).join("\n");
    expect(all).toContain(
      "'C:\\Users\\o''brien \u2019\u2019x\u2019\u2019 [1] $HOME\\AppData\\Local\\meshpilot\\bin\\device-agent.exe'",
    );
    expect(all).not.toMatch(/ -Path /);
    expect(all).not.toMatch(/Move-Item|Copy-Item|New-Item/); // -Destination/-Path would read [1] as a wildcard
  });

  test("ensureWireguard: present, installed with winget, or what to install", async () => {
    const present = winShell([["Test-Path", { stdout: "present\r\n" }]]);
    await expect(verified.ensureWireguard(present, win())).resolves.toBe("present");
    expect(present.calls).toHaveLength(1);

    const winget = winShell([["elseif (Get-Command winget", { stdout: "winget\r\n" }]]);
    await expect(verified.ensureWireguard(winget, win())).resolves.toBe("installed");
    expect(script(winget.commands[1]!)).toContain(
      "winget install --exact --id WireGuard.WireGuard --silent --accept-package-agreements --accept-source-agreements\nif ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }",
    );
    expect(winget.calls[1]!.options.timeoutMs).toBe(900_000);

    const none = winShell([["Test-Path", { stdout: "none\r\n" }]]);
    await expect(verified.ensureWireguard(none, win())).rejects.toThrow(
      new UserError(
        "WireGuard is not installed on pc9 and winget was not found — install WireGuard for Windows (https://www.wireguard.com/install/) there and run the command again",
      ),
    );

    const failing = winShell([
      ["elseif (Get-Command winget", { stdout: "winget\r\n" }],
      ["winget install", { exitCode: -1978335212, stdout: "No package found matching input criteria.\r\n" }],
    ]);
    await expect(verified.ensureWireguard(failing, win())).rejects.toThrow(
      new UserError(
        "installing WireGuard with winget failed on pc9 (exit -1978335212: No package found matching input criteria.)",
      ),
    );
  });

  test("the tunnel: config from stdin into an Administrators+SYSTEM folder, wireguard.exe's tunnel service", async () => {
    const shell = winShell();
    await verified.installTunnelConfig(shell, "mp0", "[Interface]\r\nPrivateKey = k\r\n");
    expect(shell.calls[0]!.input).toBe("[Interface]\r\nPrivateKey = k\r\n");
    const install = script(shell.commands[0]!);
    expect(install).toContain("$name = 'mp0'");
    expect(install).toContain(
      "$conf = Join-Path $env:ProgramData ('meshpilot\\wireguard\\' + $name + '.conf')",
    );
    expect(install).toContain(
      "icacls $dir /inheritance:r /grant:r '*S-1-5-32-544:(OI)(CI)F' '*S-1-5-18:(OI)(CI)F'",
    );
    expect(install).toContain("[Console]::OpenStandardInput()");

    await verified.tunnelUp(shell, "mp0", undefined);
    await verified.tunnelUp(shell, "mp0", "wireguard-go");
    const up = script(shell.commands[1]!);
    expect(script(shell.commands[2]!)).toBe(up); // wireguard-nt: no userspace to choose
    expect(up).toContain("$svc = 'WireGuardTunnel$' + $name");
    expect(up.indexOf("Remove-Tunnel\n")).toBeLessThan(
      up.indexOf("Invoke-WireGuard ('/installtunnelservice"),
    );
    expect(up).toContain("Start-Process -FilePath $wg -ArgumentList $arguments -Wait -PassThru -NoNewWindow");
    expect(up).toContain("(Get-Service -Name $svc).WaitForStatus('Running', [TimeSpan]::FromSeconds(30))");

    await verified.removeTunnel(shell, "mp0");
    const remove = script(shell.commands[3]!);
    expect(remove).toContain("Invoke-WireGuard ('/uninstalltunnelservice ' + $name)");
    expect(remove).toContain("if (Test-Path -LiteralPath $conf) { Remove-Item -LiteralPath $conf -Force }");
  });

  test("tunnelIsUp and tunnelConfigPresent are the scripts' exit codes", async () => {
    await expect(verified.tunnelIsUp(winShell(), "mp0")).resolves.toBe(true);
    await expect(verified.tunnelIsUp(winShell([["Get-Service", { exitCode: 1 }]]), "mp0")).resolves.toBe(
      false,
    );
    await expect(verified.tunnelConfigPresent(winShell(), "mp0")).resolves.toBe(true);
    await expect(
      verified.tunnelConfigPresent(winShell([["Test-Path", { exitCode: 1 }]]), "mp0"),
    ).resolves.toBe(false);
  });

  test("uploadAgent: nothing sent when the hash matches; else a gzip on stdin, unpacked, hashed and swapped in by one script", async () => {
    const agentPath = join(tmp, "device-agent.exe");
    const exe = Buffer.from([0x4d, 0x5a, 0x00, 0xff]);
    writeFileSync(agentPath, exe);
    const agent = { path: agentPath, sha256: "AB".repeat(32), bytes: 4 };
    const layout = verified.layout("C:\\Users\\ana");

    const same = winShell([["Get-FileHash", { stdout: `${"ab".repeat(32)}\r\n` }]]);
    await expect(verified.uploadAgent(same, layout, agent)).resolves.toBe(0);
    expect(same.calls).toHaveLength(1);

    const fresh = winShell([["Get-FileHash -LiteralPath $bin", { stdout: "" }]]);
    const sent = await verified.uploadAgent(fresh, layout, agent);
    expect(fresh.calls).toHaveLength(2);
    const wire = fresh.calls[1]!.input as Buffer;
    expect(gunzipSync(wire)).toEqual(exe);
    expect(sent).toBe(wire.length);
    expect(fresh.calls[1]!.options.timeoutMs).toBe(600_000);
    const upload = script(fresh.commands[1]!);
    expect(upload).toContain("$bin = 'C:\\Users\\ana\\AppData\\Local\\meshpilot\\bin\\device-agent.exe'");
    expect(upload).toContain(
      "$in = New-Object IO.Compression.GZipStream([Console]::OpenStandardInput(), [IO.Compression.CompressionMode]::Decompress)\n" +
        "$out = [IO.File]::Open($tmp, [IO.FileMode]::Create, [IO.FileAccess]::Write, [IO.FileShare]::None)\n" +
        "try { $in.CopyTo($out) } finally { $out.Dispose(); $in.Dispose() }",
    );
    // Checked after unpacking, before the swap; the expected sum in lower case, as Get-FileHash's is made.
    expect(upload).toContain(
      `if ((Get-FileHash -LiteralPath $tmp -Algorithm SHA256).Hash.ToLowerInvariant() -ne '${"ab".repeat(32)}') { Remove-Item -LiteralPath $tmp -Force; exit 86 }`,
    );
    expect(upload.indexOf("exit 86")).toBeLessThan(upload.indexOf("[IO.File]::Move($tmp, $bin)"));
    expect(upload).toContain("if ([IO.File]::Exists($bin)) { [IO.File]::Move($bin, $old) }");
  });

  test("uploadAgent: a transfer that unpacks to the wrong bytes is refused with a sentence; other failures say what failed", async () => {
    const agentPath = join(tmp, "device-agent.exe");
    writeFileSync(agentPath, "MZ");
    const agent = { path: agentPath, sha256: "ab".repeat(32), bytes: 2 };
    const shell = winShell([["GZipStream", { exitCode: 86 }]]);
    await expect(verified.uploadAgent(shell, verified.layout("C:\\Users\\ana"), agent)).rejects.toThrow(
      new UserError(
        "the agent uploaded to pc9 does not match its checksum — the transfer was corrupted; run the command again",
      ),
    );
    expect(shell.calls).toHaveLength(2);
    const broken = winShell([
      [
        "GZipStream",
        {
          exitCode: 1,
          stderr: 'Exception calling "CopyTo": "The magic number in GZip header is not correct."\r\n',
        },
      ],
    ]);
    await expect(verified.uploadAgent(broken, verified.layout("C:\\Users\\ana"), agent)).rejects.toThrow(
      /^uploading the device agent failed on pc9 \(exit 1: Exception calling "CopyTo": "The magic number in GZip header is not correct\."\)$/,
    );
  });

  test("writePrivateFile: the user-only ACL is set on the empty file before the text is written", async () => {
    const shell = winShell();
    await verified.writePrivateFile(shell, "C:\\Users\\ana\\x\\agent.secret", "s3cret\n");
    expect(shell.calls[0]!.input).toBe("s3cret\n");
    const body = script(shell.commands[0]!);
    expect(body).toContain(
      "$me = ('*' + [Security.Principal.WindowsIdentity]::GetCurrent().User.Value + ':F')",
    );
    const acl =
      "icacls $tmp /inheritance:r /grant:r $me | Out-Null\nif ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }";
    const replace =
      "if ([IO.File]::Exists($path)) { [IO.File]::Replace($tmp, $path, [NullString]::Value) } else { [IO.File]::Move($tmp, $path) }";
    expect(body.indexOf("[IO.File]::WriteAllBytes($tmp, [byte[]]@())")).toBeLessThan(body.indexOf(acl));
    expect(body.indexOf(acl)).toBeLessThan(body.indexOf("$in.CopyTo($out)"));
    expect(body.indexOf("$in.CopyTo($out)")).toBeLessThan(body.indexOf(replace));
    // Replace keeps the old file's ACL, so the user-only one is set again on the result.
    expect(body.endsWith(`${replace}\n${acl.replace(/\$tmp/, "$path")}`)).toBe(true);
    const failing = winShell([
      [
        "icacls",
        { exitCode: 1332, stderr: "No mapping between account names and security IDs was done.\r\n" },
      ],
    ]);
    await expect(verified.writePrivateFile(failing, "C:\\a", "x")).rejects.toThrow(
      new UserError(
        "writing C:\\a failed on pc9 (exit 1332: No mapping between account names and security IDs was done.)",
      ),
    );
  });

  test("installService: the task XML, UTF-16LE with a BOM as it declares, for the SSH account's SID", async () => {
    const layout = verified.layout("C:\\Users\\ana & <co>");
    const shell = winShell([["User.Value", { stdout: `${SID}\r\n` }]]);
    await verified.installService(shell, layout, win({ user: "ana" }));
    expect(script(shell.commands[0]!)).toBe("[Security.Principal.WindowsIdentity]::GetCurrent().User.Value");
    const bytes = shell.calls[1]!.input as Buffer;
    expect([...bytes.subarray(0, 2)]).toEqual([0xff, 0xfe]);
    const xml = bytes.subarray(2).toString("utf16le");
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-16"?>')).toBe(true);
    expect(xmlProblem(xml)).toBeUndefined();
    expect(xmllintProblem(bytes)).toBeUndefined();
    expect(xml).toContain(`<UserId>${SID}</UserId>`);
    expect(xml).toContain(
      "<Command>C:\\Users\\ana &amp; &lt;co&gt;\\AppData\\Local\\meshpilot\\bin\\device-agent.exe</Command>",
    );
    expect(script(shell.commands[1]!)).toContain(
      `$path = 'C:\\Users\\ana & <co>\\AppData\\Local\\meshpilot\\config\\meshpilot-agent.xml'`,
    );

    // Anything but a SID is not written into the task.
    const odd = winShell([["User.Value", { stdout: "PC9\\ana\r\n" }]]);
    await expect(verified.installService(odd, layout, win())).rejects.toThrow(
      new UserError("pc9 did not say which Windows account the SSH session runs as"),
    );
    expect(odd.calls).toHaveLength(1);
    expect(utf16WithBom("a")).toEqual(Buffer.from([0xff, 0xfe, 0x61, 0x00]));
  });

  test("start registers and runs the task (after stopping); stop ends and deletes it and this layout's agent", async () => {
    const shell = winShell();
    const layout = verified.layout("C:\\Users\\o'brien");
    await verified.startAgent(shell, layout, win());
    const [stop, start] = scripts(shell);
    expect(stop).toContain(
      "& { $ErrorActionPreference = 'Continue'; schtasks /End /TN 'meshpilot-agent' 2>&1 | Out-Null }",
    );
    expect(stop).toContain(
      "& { $ErrorActionPreference = 'Continue'; schtasks /Delete /TN 'meshpilot-agent' /F 2>&1 | Out-Null }",
    );
    expect(stop).toContain("$bin = 'C:\\Users\\o''brien\\AppData\\Local\\meshpilot\\bin\\device-agent.exe'");
    expect(stop).toContain("Where-Object { $_.Path -eq $bin } | Stop-Process -Force");
    expect(start).toBe(
      [
        "schtasks /Create /XML 'C:\\Users\\o''brien\\AppData\\Local\\meshpilot\\config\\meshpilot-agent.xml' /TN 'meshpilot-agent' /F | Out-Null",
        "if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }",
        "schtasks /Run /TN 'meshpilot-agent' | Out-Null",
        "if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }",
      ].join("\n"),
    );
  });

  test("removeAgentFiles and missingAgentFiles walk the layout's paths", async () => {
    const layout = verified.layout("C:\\Users\\ana");
    const remove = winShell();
    await verified.removeAgentFiles(remove, layout);
    expect(script(remove.commands[0]!)).toBe(
      "foreach ($p in @('C:\\Users\\ana\\AppData\\Local\\meshpilot')) { if (Test-Path -LiteralPath $p) { Remove-Item -LiteralPath $p -Recurse -Force } }",
    );
    const missing = winShell([["foreach", { stdout: `${layout.secret}\r\n${layout.unit}\r\n` }]]);
    await expect(verified.missingAgentFiles(missing, layout)).resolves.toEqual([layout.secret, layout.unit]);
    expect(script(missing.commands[0]!)).toContain(
      `@('${layout.binary}', '${layout.config}', '${layout.manifest}', '${layout.secret}', '${layout.unit}')`,
    );
  });
});
