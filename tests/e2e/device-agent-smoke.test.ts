import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { agentExecutable } from "./support/device-agent";

/**
 * The smoke matrix over the four executables from `npm run build:agent`: the Linux ones
 * run their self-test (arm64 under qemu-user), the Windows and macOS ones are checked
 * for their format and the build id embedded in them.
 */
const REPO = join(__dirname, "..", "..");
const VERSION = (JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as { version: string }).version;
const QEMU = ["qemu-aarch64-static", "-L", "/usr/aarch64-linux-gnu"];

function run(argv: string[]): { status: number | null; out: string } {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: "utf8", timeout: 170_000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}${r.error ? String(r.error) : ""}` };
}

describe("the device agent executables", () => {
  test("linux-amd64: --version and --self-test", () => {
    const file = agentExecutable(REPO, "linux-amd64");
    expect(run([file, "--version"])).toEqual({
      status: 0,
      out: `meshpilot-device-agent ${VERSION} linux-amd64\n`,
    });
    const selfTest = run([file, "--self-test"]);
    expect(selfTest.out).toMatch(/self-test: \d+ passed, 0 failed/);
    expect(selfTest.status).toBe(0);
  }, 60_000);

  test("linux-arm64: --version and --self-test under qemu-user", () => {
    const file = agentExecutable(REPO, "linux-arm64");
    expect(run(["file", "-b", file]).out).toMatch(/ELF 64-bit LSB executable, ARM aarch64/);
    expect(run([...QEMU, file, "--version"])).toEqual({
      status: 0,
      out: `meshpilot-device-agent ${VERSION} linux-arm64\n`,
    });
    const selfTest = run([...QEMU, file, "--self-test"]);
    expect(selfTest.out).toMatch(/self-test: \d+ passed, 0 failed/);
    expect(selfTest.status).toBe(0);
  }, 180_000);

  test.each([
    ["windows-amd64", /PE32\+ executable .*x86-64/],
    ["darwin-arm64", /Mach-O 64-bit .*arm64/],
  ])("%s: format and embedded build id", (name, format) => {
    const file = agentExecutable(REPO, name);
    expect(run(["file", "-b", file]).out).toMatch(format);
    expect(readFileSync(file).includes(`meshpilot-device-agent ${VERSION} ${name}`)).toBe(true);
  });

  test("SHA256SUMS matches the files", () => {
    agentExecutable(REPO);
    const check = spawnSync("sha256sum", ["-c", "SHA256SUMS"], {
      cwd: join(REPO, "dist/agent"),
      encoding: "utf8",
    });
    expect(check.stdout.trim().split("\n")).toHaveLength(4);
    expect(check.status).toBe(0);
  });
});
