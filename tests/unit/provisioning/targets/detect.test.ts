import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { normaliseArch } from "../../../../provisioning/targets/builds";
import {
  DETECT_SCRIPT,
  detectTarget,
  parseFacts,
  probedShell,
  SHELL_PROBE,
  WINDOWS_DETECT_SCRIPT,
} from "../../../../provisioning/targets/detect";
import { powershellCommand, scriptOf } from "../../../../provisioning/targets/windows-powershell";
import { psProblem, shSyntaxProblem, stub } from "./checks";
import { answers, FakeShell } from "./fake-shell";

/** The POSIX shells here: dash is Debian's sh, zsh is every Mac's login shell. */
const SHELLS = ["dash", "bash", "zsh"]
  .map((sh) => spawnSync("sh", ["-c", `command -v ${sh}`], { encoding: "utf8" }).stdout.trim())
  .filter(Boolean);

const WINDOWS_PROBE = powershellCommand(WINDOWS_DETECT_SCRIPT);

/** A host whose shell answers the probe as `shell` does, and the facts script with `stdout`. */
const host = (probe: string, stdout: string, more: Parameters<typeof answers>[0] = []) =>
  new FakeShell(
    "pc1",
    answers([[SHELL_PROBE, { stdout: probe }], [DETECT_SCRIPT, { stdout }], ...more], (c) =>
      c === SHELL_PROBE || c === DETECT_SCRIPT ? c : (scriptOf(c) ?? c),
    ),
  );
const sh = (stdout: string) => host("meshpilot-probe:0\n", stdout);

let tmp: string;
beforeEach(() => {
  tmp = mkdtempSync(join(tmpdir(), "mp-detect-"));
});
afterEach(() => rmSync(tmp, { recursive: true, force: true }));

describe("the first probe", () => {
  test("one line with nothing cmd.exe, PowerShell or sh would treat specially but $?", () => {
    expect(SHELL_PROBE).toBe("echo meshpilot-probe:$?");
    expect(SHELL_PROBE).not.toMatch(/['"%^&|<>;()`\n]/);
  });

  test.each(SHELLS)("run under %s it says sh", (shell) => {
    const result = spawnSync(shell, ["-c", SHELL_PROBE], { encoding: "utf8" });
    expect(result.stdout).toBe("meshpilot-probe:0\n");
    expect(probedShell(result.stdout)).toBe("sh");
  });

  test("cmd.exe prints $? as it is, PowerShell expands it to True (not run here: no Windows, no pwsh)", () => {
    expect(probedShell("meshpilot-probe:$?\r\n")).toBe("cmd");
    expect(probedShell("meshpilot-probe:True\r\n")).toBe("powershell");
    expect(probedShell("")).toBe("unknown");
    expect(probedShell("fish: $? is not the exit status. In fish, please use $status.\n")).toBe("unknown");
    expect(probedShell("meshpilot-probe:\n")).toBe("unknown");
  });
});

describe("the POSIX facts script", () => {
  test("is valid sh", () => {
    expect(shSyntaxProblem(DETECT_SCRIPT)).toBeUndefined();
  });

  test.each(SHELLS)("under %s on a stand-in Mac: Homebrew's PATH, sw_vers' version, launchd", (shell) => {
    const bin = join(tmp, "bin");
    stub(bin, "uname", '[ "$1" = -s ] && echo Darwin || echo arm64');
    stub(bin, "sw_vers", '[ "$1" = -productName ] && echo macOS || echo 14.5');
    stub(bin, "id", '[ "$1" = -u ] && echo 501 || echo ana');
    for (const name of ["launchctl", "brew", "wg-quick", "wireguard-go"]) stub(bin, name, "exit 0");
    const result = spawnSync(shell, ["-c", DETECT_SCRIPT], {
      encoding: "utf8",
      env: { PATH: bin, HOME: "/Users/ana" },
    });
    expect(result.stdout.split("\n").filter(Boolean)).toEqual([
      "os=Darwin",
      "arch=arm64",
      "pretty=macOS 14.5",
      "home=/Users/ana",
      "user=ana",
      "uid=501",
      "init=launchd",
      "pm=brew",
      "wgquick=yes",
    ]);
  });

  test("on a Mac, wg-quick without wireguard-go is not WireGuard (Homebrew's wg-quick needs it)", () => {
    const bin = join(tmp, "bin");
    stub(bin, "uname", '[ "$1" = -s ] && echo Darwin || echo x86_64');
    stub(bin, "id", "echo 501");
    stub(bin, "wg-quick", "exit 0");
    const result = spawnSync("/bin/sh", ["-c", DETECT_SCRIPT], { encoding: "utf8", env: { PATH: bin } });
    expect(result.stdout).not.toContain("wgquick=yes");
  });

  test("Homebrew's bin goes first on PATH only on a Mac, for both prefixes", () => {
    expect(DETECT_SCRIPT).toContain(
      'if [ "$os" = Darwin ]; then\n  PATH=/opt/homebrew/bin:/usr/local/bin:$PATH; export PATH\n',
    );
  });
});

describe("detectTarget", () => {
  test("a Debian box as a sudoer: the probe, then every fact from the script's lines", async () => {
    const shell = sh(
      "os=Linux\narch=x86_64\npretty=Debian GNU/Linux 12 (bookworm)\nhome=/home/ana\nuser=ana\nuid=1000\ninit=systemd\npm=apt-get\nwgquick=yes\nsudo=yes\n",
    );
    await expect(detectTarget(shell)).resolves.toEqual({
      os: "linux",
      arch: "amd64",
      osPretty: "Debian GNU/Linux 12 (bookworm)",
      home: "/home/ana",
      user: "ana",
      isRoot: false,
      init: "systemd",
      packageManager: "apt-get",
      hasWgQuick: true,
      canSudo: true,
    });
    expect(shell.commands).toEqual([SHELL_PROBE, DETECT_SCRIPT]);
  });

  test("root on an Alpine container (aarch64 → arm64, no init, no wg-quick)", async () => {
    const facts = await detectTarget(
      sh(
        "os=Linux\narch=aarch64\npretty=Alpine Linux v3.20\nhome=/root\nuser=root\nuid=0\ninit=none\npm=apk\nsudo=yes\n",
      ),
    );
    expect(facts).toMatchObject({
      os: "linux",
      arch: "arm64",
      isRoot: true,
      init: "none",
      hasWgQuick: false,
    });
  });

  test("a Mac: Darwin → darwin, launchd, brew, the product name and version", async () => {
    const facts = await detectTarget(
      sh(
        "os=Darwin\narch=arm64\npretty=macOS 14.5\nhome=/Users/ana\nuser=ana\nuid=501\ninit=launchd\npm=brew\nwgquick=yes\n",
      ),
    );
    expect(facts).toMatchObject({
      os: "darwin",
      arch: "arm64",
      osPretty: "macOS 14.5",
      init: "launchd",
      packageManager: "brew",
      hasWgQuick: true,
      canSudo: false,
    });
  });

  test("an OS with no adapter keeps uname's name (lower-cased) and falls back to it for the pretty name", async () => {
    const facts = await detectTarget(sh("os=FreeBSD\narch=amd64\npretty=\nuid=1001\ninit=none\n"));
    expect(facts).toMatchObject({
      os: "freebsd",
      arch: "amd64",
      osPretty: "FreeBSD",
      packageManager: "none",
    });
  });

  const windowsAnswer =
    "os=windows\r\narch=AMD64\r\npretty=Microsoft Windows 11 Pro 10.0.22631.0\r\nhome=C:\\Users\\ana\r\nuser=ana\r\nadmin=yes\r\npm=winget\r\nwgquick=yes\r\n";

  test.each([
    ["cmd.exe", "meshpilot-probe:$?\r\n"],
    ["PowerShell", "meshpilot-probe:True\r\n"],
  ])("Windows with %s as OpenSSH's shell: the encoded PowerShell probe, every fact", async (_, probe) => {
    const shell = host(probe, "", [["IsInRole", { stdout: windowsAnswer }]]);
    await expect(detectTarget(shell)).resolves.toEqual({
      os: "windows",
      arch: "amd64",
      osPretty: "Microsoft Windows 11 Pro 10.0.22631.0",
      home: "C:\\Users\\ana",
      user: "ana",
      isRoot: true,
      init: "schtasks",
      packageManager: "winget",
      hasWgQuick: true,
      canSudo: true,
    });
    expect(shell.commands).toEqual([SHELL_PROBE, WINDOWS_PROBE]);
  });

  test("Windows: a non-elevated user on ARM64 without winget or WireGuard", async () => {
    const shell = host("meshpilot-probe:$?\r\n", "", [
      [
        "IsInRole",
        { stdout: "os=windows\r\narch=ARM64\r\npretty=Windows\r\nhome=C:\\Users\\bo\r\nuser=bo\r\n" },
      ],
    ]);
    await expect(detectTarget(shell)).resolves.toMatchObject({
      os: "windows",
      arch: "arm64",
      isRoot: false,
      canSudo: false,
      packageManager: "none",
      hasWgQuick: false,
    });
  });

  test("Git for Windows' bash as the shell: uname says MINGW64, so the Windows probe decides", async () => {
    const shell = host("meshpilot-probe:0\n", "os=MINGW64_NT-10.0-22631\narch=x86_64\n", [
      ["IsInRole", { stdout: windowsAnswer }],
    ]);
    await expect(detectTarget(shell)).resolves.toMatchObject({ os: "windows", arch: "amd64", isRoot: true });
    expect(shell.commands).toEqual([SHELL_PROBE, DETECT_SCRIPT, WINDOWS_PROBE]);
  });

  test("no answer at all, or a Windows probe that fails: os is empty, nothing more is asked", async () => {
    const silent = new FakeShell("pc1", () => ({ exitCode: 127, stderr: "command not found" }));
    await expect(detectTarget(silent)).resolves.toMatchObject({
      os: "",
      arch: "",
      osPretty: "",
      init: "none",
    });
    expect(silent.commands).toEqual([SHELL_PROBE]);
    const broken = host("meshpilot-probe:True\r\n", "", [
      ["IsInRole", { exitCode: 1, stdout: "os=windows\r\n" }],
    ]);
    await expect(detectTarget(broken)).resolves.toMatchObject({ os: "" });
  });

  test("the Windows probe: encoded for cmd.exe, balanced, elevation from the token's Administrators role", () => {
    expect(WINDOWS_PROBE).toMatch(
      /^powershell -NoProfile -NonInteractive -EncodedCommand [A-Za-z0-9+/]+={0,2}$/,
    );
    expect(psProblem(WINDOWS_DETECT_SCRIPT)).toBeUndefined();
    expect(scriptOf(WINDOWS_PROBE)).toBe(WINDOWS_DETECT_SCRIPT);
    expect(WINDOWS_DETECT_SCRIPT).toContain(
      "([Security.Principal.WindowsPrincipal]$id).IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)",
    );
    expect(WINDOWS_DETECT_SCRIPT).toContain("'home=' + $env:USERPROFILE");
    expect(WINDOWS_DETECT_SCRIPT).toContain(
      "if (Test-Path -LiteralPath (Join-Path $env:ProgramFiles 'WireGuard\\wireguard.exe')) { 'wgquick=yes' }",
    );
  });

  test("parseFacts: a value keeps its own = signs; lines without one are ignored", () => {
    expect(parseFacts("pretty=A=B \nnoise\nos=Linux\r\n")).toEqual(
      new Map([
        ["pretty", "A=B"],
        ["os", "Linux"],
      ]),
    );
  });

  test("normaliseArch", () => {
    expect(
      ["x86_64", "AMD64", "amd64", "aarch64", "ARM64", "arm64", "riscv64", "x86"].map(normaliseArch),
    ).toEqual(["amd64", "amd64", "amd64", "arm64", "arm64", "arm64", "riscv64", "x86"]);
  });
});
