import { spawnSync } from "node:child_process";
import { stage1Ps, stage1Sh } from "../../../../provisioning/pull/stage1";
import { PRIVATE_KEY_SLOT, stage2Ps, stage2Sh, type Install } from "../../../../provisioning/pull/stage2";
import { adapterFor } from "../../../../provisioning/targets";
import type { TargetFacts } from "../../../../provisioning/targets/types";

const URL = "https://enroll.example.org/e/AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-abcde";

function facts(os: string, home: string, user: string): TargetFacts {
  return {
    os,
    arch: os === "darwin" ? "arm64" : "amd64",
    osPretty: os,
    home,
    user,
    isRoot: false,
    init: os === "windows" ? "schtasks" : os === "darwin" ? "launchd" : "systemd",
    packageManager: os === "windows" ? "winget" : os === "darwin" ? "brew" : "apt-get",
    hasWgQuick: true,
    canSudo: true,
  };
}

function install(os: string, home: string, user: string): Install {
  const f = facts(os, home, user);
  const adapter = adapterFor(os, f.arch)!;
  return {
    adapter,
    facts: f,
    layout: adapter.layout(home),
    url: URL,
    ifname: "mesh0",
    userspace: undefined,
    tunnelConfig: `[Interface]\nPrivateKey = ${PRIVATE_KEY_SLOT}\nAddress = 10.42.0.9/32\n`,
    agentSha256: "f".repeat(64),
    secret: "s3cret-agent-secret",
    manifest: "version: 1\n",
    agentConfig: "listen:\n  address: 10.42.0.9\n",
  };
}

const parses = (shell: string, script: string): string => {
  const r = spawnSync(shell, ["-n"], { input: script, encoding: "utf8" });
  return r.status === 0 ? "ok" : r.stderr;
};

describe("the scripts a pulled PC runs", () => {
  test("the served script parses under dash and bash, and carries the link and the agent's checksum", () => {
    const script = stage1Sh({
      url: URL,
      name: "pc5",
      os: "linux",
      arch: "amd64",
      agentSha256: "a".repeat(64),
      tunnelConfig: "/etc/wireguard/mesh0.conf",
    });
    expect(parses("sh", script)).toBe("ok");
    expect(parses("bash", script)).toBe("ok");
    expect(script).toContain(`MP_AGENT_SHA256=${"a".repeat(64)}`);
    // The body runs with stdin from /dev/null: `curl | sudo sh` must not feed the rest of it to a command.
    expect(script.trimEnd().endsWith('main "$@" < /dev/null')).toBe(true);
  });

  test.each([
    ["linux", "/home/lucas", "lucas"],
    ["linux", "/home/o'brien dir", "obrien"],
    ["darwin", "/Users/ana", "ana"],
  ])(
    "the install script for %s (%s) parses, checks the download, and fills the key in on the PC only",
    async (os, home, user) => {
      const script = await stage2Sh(install(os, home, user));
      expect(parses("sh", script)).toBe("ok");
      expect(parses("bash", script)).toBe("ok");
      expect(script).toContain(`${URL}/agent`);
      expect(script).toContain("f".repeat(64));
      const slotLines = script.split("\n").filter((l) => l.includes(PRIVATE_KEY_SLOT));
      // The slot is in the heredoc (the config text) and in the sed that fills it from $MP_KEY.
      expect(slotLines.some((l) => l.startsWith("sed ") && l.includes('$(cat "$MP_KEY")'))).toBe(true);
      expect(script).toContain("mp_fail");
      expect(script).toContain(`${URL}/done`);
    },
  );

  test("an install script that fails undoes itself: mp_cleanup stops the agent, removes its files and the tunnel", async () => {
    const script = await stage2Sh(install("linux", "/home/lucas", "lucas"));
    const cleanup = script.slice(script.indexOf("mp_cleanup() {"), script.indexOf("mp_fail() {"));
    expect(cleanup).toContain("rm -rf");
    expect(cleanup).toContain("wg-quick down");
    expect(cleanup).not.toContain("mp_fail");
  });

  test("Windows: PowerShell, the key from $env:MP_KEY, every adapter command encoded, a checked download", async () => {
    const first = stage1Ps({
      url: URL,
      name: "pc5",
      os: "windows",
      arch: "amd64",
      agentSha256: "a".repeat(64),
      tunnelConfig: "",
    });
    expect(first).toContain("wg.exe");
    expect(first).toContain("IsInRole");
    const i = install("windows", "C:\\Users\\Ana Lopez", "ana");
    const script = await stage2Ps({ ...i, facts: { ...i.facts, sid: "S-1-5-21-1-2-3-1001" } });
    expect(script).toContain(`.Replace('${PRIVATE_KEY_SLOT}', $env:MP_KEY)`);
    // The task runs as the SID the PC said in its hello.
    const xml = [...script.matchAll(/FromBase64String\('([A-Za-z0-9+/=]+)'\)/g)]
      .map((m) => Buffer.from(m[1]!, "base64"))
      .find((b) => b[0] === 0xff && b[1] === 0xfe);
    expect(xml?.subarray(2).toString("utf16le")).toContain("S-1-5-21-1-2-3-1001");
    expect(script).toContain("Get-FileHash -Algorithm SHA256");
    expect(script).toContain("Fail-Enroll");
    for (const m of script.matchAll(/-EncodedCommand ([A-Za-z0-9+/=]+)/g)) {
      const decoded = Buffer.from(m[1]!, "base64").toString("utf16le");
      expect(decoded.length).toBeGreaterThan(0);
      expect(decoded).not.toContain(PRIVATE_KEY_SLOT);
    }
  });
});
