import { normaliseArch } from "../../../../provisioning/targets/builds";
import { DETECT_SCRIPT, detectTarget, parseFacts } from "../../../../provisioning/targets/detect";
import { shSyntaxProblem } from "./checks";
import { answers, FakeShell } from "./fake-shell";

const probe = (stdout: string, more: Parameters<typeof answers>[0] = []) =>
  new FakeShell("pc1", answers([[DETECT_SCRIPT, { stdout }], ...more]));

describe("detectTarget", () => {
  test("the probe is valid sh", () => {
    expect(shSyntaxProblem(DETECT_SCRIPT)).toBeUndefined();
  });

  test("a Debian box as a sudoer: every fact from the probe's lines, x86_64 → amd64", async () => {
    const shell = probe(
      [
        "os=Linux",
        "arch=x86_64",
        "pretty=Debian GNU/Linux 12 (bookworm)",
        "home=/home/ana",
        "user=ana",
        "uid=1000",
        "init=systemd",
        "pm=apt-get",
        "wgquick=yes",
        "sudo=yes",
        "",
      ].join("\n"),
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
    expect(shell.commands).toEqual([DETECT_SCRIPT]);
  });

  test("root on an Alpine container (aarch64 → arm64, no init, no wg-quick)", async () => {
    const facts = await detectTarget(
      probe(
        "os=Linux\narch=aarch64\npretty=Alpine Linux v3.20\nhome=/root\nuser=root\nuid=0\ninit=none\npm=apk\nsudo=yes\n",
      ),
    );
    expect(facts).toMatchObject({
      os: "linux",
      arch: "arm64",
      home: "/root",
      isRoot: true,
      init: "none",
      packageManager: "apk",
      hasWgQuick: false,
      canSudo: true,
    });
  });

  test("a Mac: Darwin → darwin, launchd, brew, the product name", async () => {
    const facts = await detectTarget(
      probe(
        "os=Darwin\narch=arm64\npretty=macOS\nhome=/Users/ana\nuser=ana\nuid=501\ninit=launchd\npm=brew\n",
      ),
    );
    expect(facts).toMatchObject({
      os: "darwin",
      arch: "arm64",
      osPretty: "macOS",
      init: "launchd",
      packageManager: "brew",
      canSudo: false,
    });
  });

  test("an OS with no adapter keeps uname's name (lower-cased) and falls back to it for the pretty name", async () => {
    const facts = await detectTarget(probe("os=FreeBSD\narch=amd64\npretty=\nuid=1001\ninit=none\n"));
    expect(facts).toMatchObject({
      os: "freebsd",
      arch: "amd64",
      osPretty: "FreeBSD",
      packageManager: "none",
    });
  });

  test("Windows: no uname, but `ver` says Microsoft Windows; AMD64 → amd64", async () => {
    const shell = probe('"os=$(uname -s 2>/dev/null)"\r\n', [
      ["cmd /c ver", { stdout: "\r\nMicrosoft Windows [Version 10.0.22631.4317]\r\n" }],
      ["%PROCESSOR_ARCHITECTURE%", { stdout: "AMD64\r\n" }],
    ]);
    await expect(detectTarget(shell)).resolves.toEqual({
      os: "windows",
      arch: "amd64",
      osPretty: "Microsoft Windows [Version 10.0.22631.4317]",
      home: "",
      user: "",
      isRoot: false,
      init: "schtasks",
      packageManager: "none",
      hasWgQuick: false,
      canSudo: false,
    });
    expect(shell.commands).toEqual([DETECT_SCRIPT, "cmd /c ver", "cmd /c echo %PROCESSOR_ARCHITECTURE%"]);
  });

  test("neither Unix nor Windows: os is empty, and nothing more is asked", async () => {
    const shell = new FakeShell("pc1", () => ({ exitCode: 127, stderr: "command not found" }));
    const facts = await detectTarget(shell);
    expect(facts).toMatchObject({ os: "", arch: "", osPretty: "", init: "none" });
    expect(shell.commands).toEqual([DETECT_SCRIPT, "cmd /c ver"]);
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
    expect(["x86_64", "AMD64", "amd64", "aarch64", "ARM64", "arm64", "riscv64"].map(normaliseArch)).toEqual([
      "amd64",
      "amd64",
      "amd64",
      "arm64",
      "arm64",
      "arm64",
      "riscv64",
    ]);
  });
});
