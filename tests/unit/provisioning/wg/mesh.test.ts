import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import { createPublicKey, createPrivateKey, diffieHellman } from "node:crypto";
import { asPublicKey, generateKeyPair, generatePresharedKey } from "../../../../provisioning/wg/keys";
import { lowestFree, parseSubnet, intToIp } from "../../../../provisioning/wg/ipam";
import { devicesInFile, removePeerBlock, upsertPeerBlock } from "../../../../provisioning/wg/hub-config";
import { clientConfig } from "../../../../provisioning/wg/tunnel-config";
import {
  launchdPlist,
  supervisorScript,
  systemdQuote,
  systemdUserUnit,
  windowsTaskXml,
} from "../../../../provisioning/wg/services/render";
import { agentTarget, normaliseArch } from "../../../../provisioning/targets/builds";

describe("WireGuard keys", () => {
  test("a generated pair is a real X25519 pair in WireGuard's base64 form", () => {
    const a = generateKeyPair();
    const b = generateKeyPair();
    expect(a.publicKey).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    const jwk = (priv: string, pub: string) => ({
      kty: "OKP",
      crv: "X25519",
      d: Buffer.from(priv, "base64").toString("base64url"),
      x: Buffer.from(pub, "base64").toString("base64url"),
    });
    const shared1 = diffieHellman({
      privateKey: createPrivateKey({ key: jwk(a.privateKey.reveal(), a.publicKey), format: "jwk" }),
      publicKey: createPublicKey({
        key: { kty: "OKP", crv: "X25519", x: Buffer.from(b.publicKey, "base64").toString("base64url") },
        format: "jwk",
      }),
    });
    const shared2 = diffieHellman({
      privateKey: createPrivateKey({ key: jwk(b.privateKey.reveal(), b.publicKey), format: "jwk" }),
      publicKey: createPublicKey({
        key: { kty: "OKP", crv: "X25519", x: Buffer.from(a.publicKey, "base64").toString("base64url") },
        format: "jwk",
      }),
    });
    expect(shared1.equals(shared2)).toBe(true);
  });

  test("private and preshared keys never print themselves", () => {
    const { privateKey } = generateKeyPair();
    const psk = generatePresharedKey();
    for (const secret of [privateKey, psk]) {
      expect(String(secret)).toBe("[redacted]");
      expect(JSON.stringify({ secret })).toBe('{"secret":"[redacted]"}');
      expect(inspect(secret)).toBe("[redacted]");
      expect(String(secret)).not.toContain(secret.reveal());
    }
  });

  test("a malformed public key is refused", () => {
    expect(() => asPublicKey("not-a-key")).toThrow(/not a WireGuard public key/);
  });

  test("wg itself accepts the generated keys", () => {
    const { privateKey, publicKey } = generateKeyPair();
    expect(
      execFileSync("wg", ["pubkey"], { input: privateKey.reveal() + "\n", encoding: "utf8" }).trim(),
    ).toBe(publicKey);
  });
});

describe("mesh IP allocation", () => {
  test("the lowest free host address, never the network, broadcast, hub or a taken one", () => {
    expect(lowestFree("10.42.0.0/24", "10.42.0.1", new Set())).toBe("10.42.0.2");
    expect(lowestFree("10.42.0.0/24", "10.42.0.1", new Set(["10.42.0.2", "10.42.0.3"]))).toBe("10.42.0.4");
    const full = new Set(
      Array.from({ length: 253 }, (_, i) => intToIp(parseSubnet("10.42.0.0/24").network + 2 + i)),
    );
    expect(() => lowestFree("10.42.0.0/24", "10.42.0.1", full)).toThrow(
      "the mesh subnet 10.42.0.0/24 is full — revoke a device or widen mesh.subnet",
    );
  });

  test("a /30 has exactly two hosts", () => {
    expect(lowestFree("10.9.0.0/30", "10.9.0.1", new Set())).toBe("10.9.0.2");
    expect(() => lowestFree("10.9.0.0/30", "10.9.0.1", new Set(["10.9.0.2"]))).toThrow(/is full/);
  });
});

describe("the hub's wg-quick file", () => {
  const base =
    "[Interface]\nPrivateKey = HUBKEY\nListenPort = 51820\n\n# operator's own peer\n[Peer]\nPublicKey = OTHER\nAllowedIPs = 10.42.0.200/32\n";
  const pub = generateKeyPair().publicKey;

  test("adding and removing a device's block leaves everything else as it was", () => {
    const added = upsertPeerBlock(base, { device: "pc1", publicKey: pub, meshIp: "10.42.0.2" }, "PSK=");
    expect(added).toContain(
      `# meshpilot device pc1\n[Peer]\nPublicKey = ${pub}\nPresharedKey = PSK=\nAllowedIPs = 10.42.0.2/32\n`,
    );
    expect(devicesInFile(added)).toEqual(["pc1"]);
    const twice = upsertPeerBlock(added, { device: "pc1", publicKey: pub, meshIp: "10.42.0.3" }, "PSK=");
    expect(devicesInFile(twice)).toEqual(["pc1"]);
    expect(twice).toContain("AllowedIPs = 10.42.0.3/32");
    expect(removePeerBlock(twice, "pc1").trimEnd()).toBe(base.trimEnd());
  });

  test("wg-quick's parser accepts the result", () => {
    const dir = mkdtempSync(join(tmpdir(), "meshpilot-hubconf-"));
    const file = join(dir, "mesh0.conf");
    const conf = upsertPeerBlock(
      `[Interface]\nPrivateKey = ${generateKeyPair().privateKey.reveal()}\nListenPort = 51820\n`,
      { device: "pc1", publicKey: pub, meshIp: "10.42.0.2" },
      generatePresharedKey().reveal(),
    );
    writeFileSync(file, conf, { mode: 0o600 });
    expect(wgQuickStrip(file, dir)).toContain(`PublicKey = ${pub}`);
  });
});

describe("the device's tunnel config", () => {
  test("routes the mesh subnet through the hub and keeps the tunnel alive", () => {
    const { privateKey } = generateKeyPair();
    const text = clientConfig({
      privateKey,
      meshIp: "10.42.0.7",
      hubPublicKey: pub(),
      presharedKey: generatePresharedKey(),
      endpoint: "203.0.113.1:51820",
      subnet: "10.42.0.0/24",
      keepaliveS: 25,
    });
    expect(text).toContain(`PrivateKey = ${privateKey.reveal()}`);
    expect(text).toMatch(/Address = 10\.42\.0\.7\/32\n/);
    expect(text).toMatch(/AllowedIPs = 10\.42\.0\.0\/24\nPersistentKeepalive = 25/);
  });
  const pub = () => generateKeyPair().publicKey;
});

describe("agent builds and service definitions", () => {
  test("targets map to the four builds, others are refused with a way out", () => {
    expect(agentTarget("linux", normaliseArch("x86_64"))).toBe("linux-amd64");
    expect(agentTarget("linux", normaliseArch("aarch64"))).toBe("linux-arm64");
    expect(agentTarget("darwin", normaliseArch("arm64"))).toBe("darwin-arm64");
    expect(() => agentTarget("linux", normaliseArch("riscv64"))).toThrow(
      "there is no device agent for linux/riscv64 — supported: linux-amd64, linux-arm64, windows-amd64, darwin-arm64; add this machine with --via ssh instead",
    );
  });

  const paths = {
    binary: "/home/lucas/.local/share/meshpilot/device-agent",
    config: "/home/lucas/.config/meshpilot/agent.yaml",
    log: "/home/lucas/.local/state/meshpilot/agent.log",
  };

  test("the systemd user unit passes systemd-analyze verify", () => {
    const dir = mkdtempSync(join(tmpdir(), "meshpilot-unit-"));
    const unit = join(dir, "meshpilot-agent.service");
    writeFileSync(unit, systemdUserUnit({ ...paths, binary: "/bin/true" }));
    expect(() =>
      execFileSync("systemd-analyze", ["verify", unit], { encoding: "utf8", stdio: "pipe" }),
    ).not.toThrow();
    expect(systemdUserUnit(paths)).toContain(
      `ExecStart="${paths.binary}" --config "${paths.config}"\nRestart=always`,
    );
  });

  test("a home with a space or % stays one word in the unit: systemd runs the right file", () => {
    const dir = mkdtempSync(join(tmpdir(), "meshpilot-unit-"));
    const odd = join(dir, "o brien x%h");
    mkdirSync(odd);
    copyFileSync("/bin/true", join(odd, "device-agent"));
    const unit = join(dir, "meshpilot-agent.service");
    writeFileSync(unit, systemdUserUnit({ ...paths, binary: join(odd, "device-agent") }));
    expect(() =>
      execFileSync("systemd-analyze", ["verify", unit], { encoding: "utf8", stdio: "pipe" }),
    ).not.toThrow();
    expect(systemdQuote('a "b" %h $X \\')).toBe('"a \\"b\\" %%h $$X \\\\"');
  });

  test("the supervisor runs the agent at a path with quotes, spaces and $ unchanged", () => {
    const dir = mkdtempSync(join(tmpdir(), "meshpilot-sup-"));
    const odd = join(dir, `o'brien "x" $(touch pwned)`);
    mkdirSync(odd);
    const agent = join(odd, "device-agent");
    writeFileSync(agent, '#!/bin/sh\necho "ran $*" >> "$(dirname "$0")/ran"\nexit 0\n', { mode: 0o755 });
    const script = supervisorScript({
      binary: agent,
      config: join(odd, "agent.yaml"),
      log: join(odd, "agent.log"),
    });
    // One turn of the loop: the body without "while"/"sleep".
    const once = script.split("\n").find((l) => l.includes("--config"))!;
    execFileSync("sh", ["-c", once], { cwd: dir });
    expect(readFileSync(join(odd, "ran"), "utf8")).toBe(`ran --config ${join(odd, "agent.yaml")}\n`);
    expect(existsSync(join(dir, "pwned"))).toBe(false);
  });

  test("the launchd plist and the Windows task are well-formed XML naming the agent", () => {
    for (const xml of [launchdPlist(paths), windowsTaskXml(paths, "lucas")]) {
      const dir = mkdtempSync(join(tmpdir(), "meshpilot-xml-"));
      writeFileSync(join(dir, "x.xml"), xml.replace('encoding="UTF-16"', 'encoding="UTF-8"'));
      expect(() =>
        execFileSync("python3", [
          "-c",
          "import sys,xml.dom.minidom;xml.dom.minidom.parse(sys.argv[1])",
          join(dir, "x.xml"),
        ]),
      ).not.toThrow();
      expect(xml).toContain(paths.binary);
    }
  });

  test("the supervisor restarts the agent when it exits", () => {
    expect(supervisorScript(paths)).toMatch(
      /while :; do\n {2}\/home\/lucas\/\S*device-agent --config \S*agent\.yaml >> \S*agent\.log 2>&1\n {2}sleep 2\ndone/,
    );
  });
});

/**
 * wg-quick's own parser (cmd_strip) on a file. wg-quick re-runs itself through sudo when not
 * root, even for strip, which touches nothing: unprivileged, a copy with that one call
 * (auto_su) made a no-op is run instead, so the parser is still wg-quick's.
 */
function wgQuickStrip(file: string, dir: string): string {
  if (process.getuid?.() === 0) return execFileSync("wg-quick", ["strip", file], { encoding: "utf8" });
  const path = execFileSync("sh", ["-c", "command -v wg-quick"], { encoding: "utf8" }).trim();
  const copy = join(dir, "wg-quick");
  const script = readFileSync(path, "utf8");
  expect(script).toMatch(/^auto_su\(\) \{$/m);
  writeFileSync(copy, script.replace(/^auto_su\(\) \{$/m, "auto_su() { return 0\n"), { mode: 0o755 });
  return execFileSync("bash", [copy, "strip", file], { encoding: "utf8" });
}
