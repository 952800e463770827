import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UserError } from "../../../../common/errors";
import {
  darwinAdapter,
  darwinTarget,
  darwinTargetFor,
  homebrewPrefix,
  LAUNCHD_LABEL,
} from "../../../../provisioning/targets/darwin";
import type { TargetFacts } from "../../../../provisioning/targets/types";
import { compressedPath } from "../../../../provisioning/wg/agent-install";
import { LocalShell } from "../../../../provisioning/wg/shell";
import {
  exerciseAll,
  factsFor,
  PathShell,
  shSyntaxProblem,
  stub,
  xmllintProblem,
  xmlProblem,
} from "./checks";
import { unquote } from "../support/shell-words";
import { answers, FakeShell } from "./fake-shell";

const mac = (over: Partial<TargetFacts> = {}): TargetFacts =>
  factsFor({
    os: "darwin",
    arch: "arm64",
    home: "/Users/ana",
    init: "launchd",
    packageManager: "brew",
    ...over,
  });

const verified = darwinTarget;

/** The command inside `exec /bin/sh -c '…'`, as the adapter wrote it. */
const inner = (command: string): string => {
  const match = /^exec \/bin\/sh -c (.*)$/s.exec(command);
  return match ? unquote(match[1]!) : command;
};
const commandsOf = (shell: FakeShell): string[] => shell.commands.map(inner);

let tmp: string;
beforeEach(() => {
  tmp = mkdtempSync(join(tmpdir(), "mp-darwin-"));
});
afterEach(() => rmSync(tmp, { recursive: true, force: true }));

describe("darwin layout, home and Homebrew", () => {
  test("the agent under the home, the service a LaunchAgent", () => {
    const layout = darwinTarget.layout("/Users/ana");
    expect(layout.binary).toBe("/Users/ana/.local/share/meshpilot/device-agent");
    expect(layout.config).toBe("/Users/ana/.config/meshpilot/agent.yaml");
    expect(layout.log).toBe("/Users/ana/.local/state/meshpilot/agent.log");
    expect(layout.unit).toBe("/Users/ana/Library/LaunchAgents/org.meshpilot.agent.plist");
    expect(layout.owned).toContain(layout.unit);
    expect(layout.owned).toContain("/Users/ana/.local/share/meshpilot");
  });

  test("home() asks Directory Services (root's is /var/root)", async () => {
    const shell = new FakeShell(
      "mac1",
      answers([
        ["/Users/root", { stdout: "NFSHomeDirectory: /var/root\n" }],
        ["/Users/ana", { stdout: "NFSHomeDirectory: /Users/ana\n" }],
      ]),
    );
    await expect(darwinTarget.home(shell, "root")).resolves.toBe("/var/root");
    await expect(darwinTarget.home(shell, "ana")).resolves.toBe("/Users/ana");
    expect(commandsOf(shell)).toEqual([
      "dscl . -read /Users/root NFSHomeDirectory",
      "dscl . -read /Users/ana NFSHomeDirectory",
    ]);
  });

  test("wg-quick's config dir is Homebrew's, whose prefix the arch decides", () => {
    expect(homebrewPrefix("arm64")).toBe("/opt/homebrew");
    expect(homebrewPrefix("amd64")).toBe("/usr/local");
    expect(darwinTarget.tunnelConfigPath("mp0")).toBe("/opt/homebrew/etc/wireguard/mp0.conf");
    expect(darwinTargetFor("arm64").tunnelConfigPath("mp0")).toBe("/opt/homebrew/etc/wireguard/mp0.conf");
    expect(darwinTargetFor(undefined)).toBe(darwinTarget);
    expect(darwinTargetFor("amd64").tunnelConfigPath("mp0")).toBe("/usr/local/etc/wireguard/mp0.conf");
  });
});

describe("darwin refusals", () => {
  test("push is on: --os darwin alone, root, or a sudoer are not refused", () => {
    expect(darwinTarget.refusal({ os: "darwin" }, "mac1")).toBeUndefined();
    expect(darwinTarget.refusal({ os: "darwin", arch: "arm64" }, "mac1")).toBeUndefined();
    expect(darwinTarget.refusal(mac({ isRoot: true, canSudo: true }), "mac1")).toBeUndefined();
    expect(darwinTarget.refusal(mac({ canSudo: true }), "mac1")).toBeUndefined();
  });

  test("an Intel Mac has no agent build: that is said first", () => {
    const sentence =
      "mac1 is macOS on amd64, and there is no device agent for that — supported: arm64; add it with --via ssh instead";
    expect(darwinTarget.refusal({ os: "darwin", arch: "amd64" }, "mac1")).toBe(sentence);
    expect(darwinTargetFor("amd64").refusal({ os: "darwin", arch: "amd64" }, "mac1")).toBe(sentence);
  });

  test("wg-quick needs root, so a user without passwordless sudo is refused", () => {
    expect(verified.refusal(mac({ canSudo: false }), "mac1")).toBe(
      "ana cannot use sudo without a password on mac1, and wg-quick needs root there — allow it (NOPASSWD) or connect as an administrator who can",
    );
    expect(verified.refusal(mac(), "mac1")).toBeUndefined();
    expect(verified.refusal({ os: "darwin", arch: "arm64" }, "mac1")).toBeUndefined();
  });
});

describe("darwin commands", () => {
  test("every command it can send is valid sh, with a home holding quotes, spaces and $", async () => {
    const agent = join(tmp, "agent");
    writeFileSync(agent, "bin");
    const shell = new FakeShell("mac1", answers([["shasum -a 256", { stdout: `${"ab".repeat(32)}  x\n` }]]));
    await exerciseAll(verified, shell, verified.layout(`/Users/o'brien "x" $(touch pwned)`), mac(), agent);
    expect(shell.commands.length).toBeGreaterThan(15);
    for (const command of shell.commands) {
      // What zsh (the Mac's login shell) is handed: one exec of /bin/sh, the command quoted.
      expect(command).toMatch(/^exec \/bin\/sh -c '/);
      expect([command, shSyntaxProblem(command)]).toEqual([command, undefined]);
      expect([inner(command), shSyntaxProblem(inner(command))]).toEqual([inner(command), undefined]);
    }
    expect(commandsOf(shell).some((c) => c.startsWith("shasum -a 256 "))).toBe(true);
    expect(commandsOf(shell).some((c) => c.includes("sha256sum"))).toBe(false);
  });

  test("ensureWireguard: present per detection, or found once Homebrew is on PATH", async () => {
    const none = new FakeShell("mac1");
    await expect(verified.ensureWireguard(none, mac({ hasWgQuick: true }))).resolves.toBe("present");
    expect(none.commands).toEqual([]);
    const found = new FakeShell("mac1");
    await expect(verified.ensureWireguard(found, mac())).resolves.toBe("present");
    expect(commandsOf(found)).toEqual([
      `PATH=/opt/homebrew/bin:/opt/homebrew/sbin:"$PATH"; export PATH; command -v wg-quick >/dev/null 2>&1 && command -v wireguard-go >/dev/null 2>&1`,
    ]);
  });

  test("ensureWireguard: brew install as the user, never with sudo", async () => {
    const shell = new FakeShell("mac1", answers([["command -v wg-quick", { exitCode: 1 }]]));
    await expect(verified.ensureWireguard(shell, mac())).resolves.toBe("installed");
    const install = shell.calls[2]!;
    expect(inner(install.command)).toBe(
      `PATH=/opt/homebrew/bin:/opt/homebrew/sbin:"$PATH"; export PATH; NONINTERACTIVE=1 brew install wireguard-tools`,
    );
    expect(install.options.timeoutMs).toBe(900_000);
    expect(commandsOf(shell).join("\n")).not.toMatch(/sudo/);
  });

  test("ensureWireguard: no Homebrew, root, or a failing brew are sentences", async () => {
    const noBrew = new FakeShell("mac1", answers([["command -v", { exitCode: 1 }]]));
    await expect(verified.ensureWireguard(noBrew, mac({ packageManager: "none" }))).rejects.toThrow(
      new UserError(
        'WireGuard is not installed on mac1 and Homebrew was not found (looked in /opt/homebrew/bin and PATH) — install Homebrew (https://brew.sh) and "brew install wireguard-tools" there, then run the command again',
      ),
    );
    const root = new FakeShell("mac1", answers([["command -v wg-quick", { exitCode: 1 }]]));
    await expect(verified.ensureWireguard(root, mac({ isRoot: true }))).rejects.toThrow(
      new UserError(
        'WireGuard is not installed on mac1, and Homebrew does not run as root — run "brew install wireguard-tools" there as the Mac\'s user, then run the command again',
      ),
    );
    expect(root.commands).toHaveLength(2);
    const failing = new FakeShell(
      "mac1",
      answers([
        ["command -v wg-quick", { exitCode: 1 }],
        [
          "brew install",
          { exitCode: 1, stderr: 'Error: No available formula with the name "wireguard-tools".\n' },
        ],
      ]),
    );
    await expect(verified.ensureWireguard(failing, mac())).rejects.toThrow(
      new UserError(
        'installing wireguard-tools with Homebrew failed on mac1 (exit 1: Error: No available formula with the name "wireguard-tools".)',
      ),
    );
  });

  test("tunnel up: wg-quick as root with Homebrew's PATH (sudo resets it), userspace env only when asked", async () => {
    const shell = new FakeShell("mac1");
    await verified.tunnelUp(shell, "mp0", undefined);
    await verified.tunnelUp(shell, "mp0", "wireguard-go");
    const wgQuick = "env PATH=/opt/homebrew/bin:/opt/homebrew/sbin:/usr/bin:/bin:/usr/sbin:/sbin wg-quick";
    const [up, upUserspace] = commandsOf(shell);
    expect(up).toMatch(/^PATH=\/opt\/homebrew\/bin:\/opt\/homebrew\/sbin:"\$PATH"; export PATH; /);
    expect(up!.endsWith(`$SUDO ${wgQuick} up mp0`)).toBe(true);
    expect(
      upUserspace!.endsWith(
        `$SUDO env WG_QUICK_USERSPACE_IMPLEMENTATION=wireguard-go WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD=1 ${wgQuick} up mp0`,
      ),
    ).toBe(true);
  });

  test("start: the launchd domain, bootstrap, kickstart; stop: bootout from both domains", async () => {
    const shell = new FakeShell("mac1");
    const layout = verified.layout("/Users/o'brien");
    await verified.startAgent(shell, layout, mac());
    const [stop, start] = commandsOf(shell);
    expect(stop).toMatch(
      /^for d in "gui\/\$\(id -u\)" "user\/\$\(id -u\)"; do launchctl bootout "\$d\/org\.meshpilot\.agent"/,
    );
    expect(start).toContain(
      `launchctl bootstrap "$d" '/Users/o'\\''brien/Library/LaunchAgents/org.meshpilot.agent.plist'`,
    );
    expect(start).toMatch(/launchctl kickstart "\$d\/org\.meshpilot\.agent"$/);
  });
});

describe("darwin on a real shell", () => {
  test("upload (shasum), private files, the plist and missing/remove against a temp home named o'brien x", async () => {
    const home = join(tmp, "Users", `o'brien x $(touch pwned) "q" & <b>`);
    mkdirSync(home, { recursive: true });
    const shell = new LocalShell();
    const layout = verified.layout(home);
    const agentPath = join(tmp, "device-agent");
    writeFileSync(agentPath, "agent bytes");
    const sha256 = createHash("sha256").update("agent bytes").digest("hex");
    const agent = { path: agentPath, sha256, bytes: 11 };
    const sent = await verified.uploadAgent(shell, layout, agent);
    expect(sent).toBe(statSync(compressedPath(agent)).size);
    await expect(verified.uploadAgent(shell, layout, { path: agentPath, sha256, bytes: 11 })).resolves.toBe(
      0,
    );
    expect(readFileSync(layout.binary, "utf8")).toBe("agent bytes");

    await verified.installService(shell, layout, mac());
    expect(statSync(layout.stateDir).isDirectory()).toBe(true);
    expect(statSync(layout.unit).mode & 0o777).toBe(0o600);
    const plist = readFileSync(layout.unit, "utf8");
    expect(xmlProblem(plist)).toBeUndefined();
    expect(xmllintProblem(plist)).toBeUndefined();
    expect(plist).toContain(`<key>Label</key><string>${LAUNCHD_LABEL}</string>`);
    expect(plist).toContain(
      `<string>${layout.binary.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")}</string>`,
    );

    await expect(verified.missingAgentFiles(shell, layout)).resolves.toEqual([
      layout.config,
      layout.manifest,
      layout.secret,
    ]);
    for (const file of [layout.config, layout.manifest, layout.secret])
      await verified.writePrivateFile(shell, file, "x\n");
    await expect(verified.missingAgentFiles(shell, layout)).resolves.toEqual([]);
    expect(statSync(layout.secret).mode & 0o777).toBe(0o600);

    await verified.removeAgentFiles(shell, layout);
    for (const path of layout.owned) expect(existsSync(path)).toBe(false);
    expect(existsSync(join(home, "Library/LaunchAgents"))).toBe(true);
    expect(existsSync(join(process.cwd(), "pwned"))).toBe(false);
  });

  test("launchd with a stand-in launchctl: no GUI session → user/<uid>, bootstrap retried while bootout settles", async () => {
    const bin = join(tmp, "bin");
    const log = join(tmp, "launchctl.log");
    const fails = join(tmp, "fails");
    writeFileSync(fails, "2");
    stub(
      bin,
      "launchctl",
      [
        `echo "$*" >> '${log}'`,
        'case "$1" in',
        "  print) exit 113 ;;",
        `  bootstrap) n=$(cat '${fails}'); if [ "$n" -gt 0 ]; then echo $((n - 1)) > '${fails}'; echo "Bootstrap failed: 5: Input/output error" >&2; exit 5; fi ;;`,
        "esac",
      ].join("\n"),
    );
    const shell = new PathShell(bin);
    const layout = verified.layout(join(tmp, "o'brien x"));
    await verified.startAgent(shell, layout, mac());
    const uid = process.getuid!();
    expect(readFileSync(log, "utf8").split("\n").filter(Boolean)).toEqual([
      `bootout gui/${uid}/${LAUNCHD_LABEL}`,
      `bootout user/${uid}/${LAUNCHD_LABEL}`,
      `print gui/${uid}`,
      `bootstrap user/${uid} ${layout.unit}`,
      `bootstrap user/${uid} ${layout.unit}`,
      `bootstrap user/${uid} ${layout.unit}`,
      `kickstart user/${uid}/${LAUNCHD_LABEL}`,
    ]);
  }, 20_000);

  test("launchd: a bootstrap that keeps failing fails the start with launchctl's words", async () => {
    const bin = join(tmp, "bin");
    stub(
      bin,
      "launchctl",
      '[ "$1" = bootstrap ] && { echo "Bootstrap failed: 5: Input/output error" >&2; exit 5; }; exit 0',
    );
    const layout = verified.layout(join(tmp, "ana"));
    await expect(verified.startAgent(new PathShell(bin), layout, mac())).rejects.toThrow(
      "starting the agent's launchd service failed on the test machine (exit 1: Bootstrap failed: 5: Input/output error / Bootstrap failed: 5: Input/output error / Bootstrap failed: 5: Input/output error)",
    );
  }, 20_000);

  test("the tunnel against a stand-in Homebrew: 0600 config in its etc/wireguard, wg-quick up/down, wg show", async () => {
    // No space here: posix.ts's installTunnelConfig nests the quoted path inside sh -c '…' (reported).
    const prefix = join(tmp, "homebrew");
    const log = join(tmp, "wg.log");
    const state = join(tmp, "up");
    stub(join(prefix, "bin"), "sudo", '[ "$1" = -n ] && shift; exec "$@"');
    stub(join(prefix, "bin"), "wg", `[ "$1 $2" = "show mp0" ] && [ -e '${state}' ]`);
    stub(
      join(prefix, "bin"),
      "wg-quick",
      `echo "$* impl=\${WG_QUICK_USERSPACE_IMPLEMENTATION:-}" >> '${log}'; if [ "$1" = up ]; then touch '${state}'; else rm -f '${state}'; fi`,
    );
    const adapter = darwinAdapter({ arch: "arm64", homebrewPrefix: prefix });
    const shell = new LocalShell();
    expect(adapter.tunnelConfigPath("mp0")).toBe(`${prefix}/etc/wireguard/mp0.conf`);
    await expect(adapter.tunnelConfigPresent(shell, "mp0")).resolves.toBe(false);
    await adapter.installTunnelConfig(shell, "mp0", "[Interface]\nPrivateKey = k\n");
    expect(readFileSync(adapter.tunnelConfigPath("mp0"), "utf8")).toBe("[Interface]\nPrivateKey = k\n");
    expect(statSync(adapter.tunnelConfigPath("mp0")).mode & 0o777).toBe(0o600);
    await expect(adapter.tunnelIsUp(shell, "mp0")).resolves.toBe(false);
    await adapter.tunnelUp(shell, "mp0", "wireguard-go");
    await expect(adapter.tunnelIsUp(shell, "mp0")).resolves.toBe(true);
    await adapter.removeTunnel(shell, "mp0");
    await expect(adapter.tunnelConfigPresent(shell, "mp0")).resolves.toBe(false);
    await expect(adapter.tunnelIsUp(shell, "mp0")).resolves.toBe(false);
    expect(readFileSync(log, "utf8")).toBe("up mp0 impl=wireguard-go\ndown mp0 impl=\n");
  });
});
