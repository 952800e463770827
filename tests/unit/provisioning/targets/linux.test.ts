import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UserError } from "../../../../common/errors";
import { linuxTarget } from "../../../../provisioning/targets/linux";
import { agentProcessRunning } from "../../../../provisioning/targets/posix";
import type { TargetFacts } from "../../../../provisioning/targets/types";
import { compressedPath } from "../../../../provisioning/wg/agent-install";
import { LocalShell } from "../../../../provisioning/wg/shell";
import { exerciseAll, factsFor, PathShell, shSyntaxProblem, stub } from "./checks";
import { answers, FakeShell } from "./fake-shell";

const linux = (over: Partial<TargetFacts> = {}): TargetFacts => factsFor({ os: "linux", ...over });

let tmp: string;
beforeEach(() => {
  tmp = mkdtempSync(join(tmpdir(), "mp-linux-"));
});
afterEach(() => rmSync(tmp, { recursive: true, force: true }));

describe("linux layout and home", () => {
  test("everything under the home it is given; root's is /root", () => {
    const layout = linuxTarget.layout("/root");
    expect(layout.binary).toBe("/root/.local/share/meshpilot/device-agent");
    expect(layout.config).toBe("/root/.config/meshpilot/agent.yaml");
    expect(layout.secret).toBe("/root/.config/meshpilot/agent.secret");
    expect(layout.audit).toBe("/root/.local/state/meshpilot/audit.db");
    expect(layout.unit).toBe("/root/.config/systemd/user/meshpilot-agent.service");
    expect(layout.owned).toEqual([
      "/root/.local/share/meshpilot",
      "/root/.config/meshpilot",
      "/root/.local/state/meshpilot",
      "/root/.config/systemd/user/meshpilot-agent.service",
    ]);
    expect(linuxTarget.tunnelConfigPath("mp0")).toBe("/etc/wireguard/mp0.conf");
  });

  test("home() is field 6 of getent passwd: /root for root, whatever the database says for a user", async () => {
    const shell = new FakeShell(
      "pc1",
      answers([
        ["getent passwd -- root", { stdout: "root:x:0:0:root:/root:/bin/bash\n" }],
        ["getent passwd -- ana", { stdout: "ana:x:1000:1000:Ana,,,:/srv/people/ana:/bin/zsh\n" }],
      ]),
    );
    await expect(linuxTarget.home(shell, "root")).resolves.toBe("/root");
    await expect(linuxTarget.home(shell, "ana")).resolves.toBe("/srv/people/ana");
    expect(shell.commands).toEqual(["getent passwd -- root", "getent passwd -- ana"]);
  });
});

describe("linux refusals", () => {
  test("an arch with no agent build, and a user who cannot sudo, are refused with a sentence", () => {
    expect(linuxTarget.refusal({ os: "linux", arch: "riscv64" }, "pc1")).toBe(
      "pc1 is Linux on riscv64, and there is no device agent for that — supported: amd64, arm64; add it with --via ssh instead",
    );
    expect(linuxTarget.refusal(linux({ isRoot: false, canSudo: false }), "pc1")).toBe(
      "ana cannot use sudo without a password on pc1, and WireGuard needs root there — allow it (NOPASSWD) or connect as root",
    );
  });

  test("amd64/arm64 with sudo, root, or only --os/--arch known: accepted", () => {
    expect(linuxTarget.refusal({ os: "linux", arch: "arm64" }, "pc1")).toBeUndefined();
    expect(linuxTarget.refusal(linux({ canSudo: true }), "pc1")).toBeUndefined();
    expect(linuxTarget.refusal(linux({ isRoot: true, canSudo: true }), "pc1")).toBeUndefined();
  });
});

describe("linux commands", () => {
  test("every command it can send is valid sh, with a home holding quotes, spaces and $", async () => {
    const agent = join(tmp, "agent");
    writeFileSync(agent, "bin");
    const shell = new FakeShell("pc1", answers([["sha256sum", { stdout: `${"ab".repeat(32)}  x\n` }]]));
    const layout = linuxTarget.layout(`/home/o'brien "x" $(touch pwned)`);
    for (const init of ["systemd", "none"] as const) {
      await exerciseAll(
        linuxTarget,
        shell,
        layout,
        linux({ init, hasWgQuick: false, packageManager: "apt-get" }),
        agent,
      );
    }
    expect(shell.commands.length).toBeGreaterThan(20);
    for (const command of shell.commands)
      expect([command, shSyntaxProblem(command)]).toEqual([command, undefined]);
  });

  test("ensureWireguard: present, or the package manager's install through sudo -n", async () => {
    const present = new FakeShell("pc1");
    await expect(linuxTarget.ensureWireguard(present, linux({ hasWgQuick: true }))).resolves.toBe("present");
    expect(present.commands).toEqual([]);
    const expected = {
      "apt-get": "$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y wireguard-tools",
      dnf: "$SUDO dnf install -y wireguard-tools",
      pacman: "$SUDO pacman -S --noconfirm wireguard-tools",
      apk: "$SUDO apk add wireguard-tools",
    } as const;
    for (const [packageManager, install] of Object.entries(expected)) {
      const shell = new FakeShell("pc1");
      const facts = linux({ packageManager: packageManager as keyof typeof expected });
      await expect(linuxTarget.ensureWireguard(shell, facts)).resolves.toBe("installed");
      expect(shell.commands).toEqual([`SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo -n"; ${install}`]);
      expect(shell.calls[0]!.options.timeoutMs).toBe(600_000);
    }
  });

  test("ensureWireguard: no package manager (or only brew) is a sentence, before running anything", async () => {
    for (const packageManager of ["none", "brew"] as const) {
      const shell = new FakeShell("pc1");
      await expect(linuxTarget.ensureWireguard(shell, linux({ packageManager }))).rejects.toThrow(
        new UserError(
          "WireGuard is not installed on pc1 and no package manager was found (apt-get, dnf, pacman, apk) — install wireguard-tools there and run the command again",
        ),
      );
      expect(shell.commands).toEqual([]);
    }
  });

  test("a failing command is a sentence with what it said (mustRun)", async () => {
    const shell = new FakeShell(
      "pc1",
      answers([
        [
          "apt-get",
          {
            exitCode: 100,
            stderr: "Reading package lists...\nE: Unable to locate package wireguard-tools\n",
          },
        ],
      ]),
    );
    await expect(linuxTarget.ensureWireguard(shell, linux({ packageManager: "apt-get" }))).rejects.toThrow(
      new UserError(
        "installing wireguard-tools failed on pc1 (exit 100: Reading package lists... / E: Unable to locate package wireguard-tools)",
      ),
    );
    const timedOut = new FakeShell("pc1", () => ({ exitCode: null }));
    await expect(linuxTarget.writePrivateFile(timedOut, "/root/x", "y")).rejects.toThrow(
      "writing /root/x failed on pc1 (exit ?)",
    );
  });

  test("tunnel up names the userspace implementation only when asked", async () => {
    const shell = new FakeShell("pc1");
    await linuxTarget.tunnelUp(shell, "mp0", undefined);
    await linuxTarget.tunnelUp(shell, "mp0", "/usr/bin/wireguard-go");
    expect(shell.commands[0]).toMatch(/\$SUDO wg-quick up mp0$/);
    expect(shell.commands[0]).not.toContain("USERSPACE");
    expect(shell.commands[1]).toMatch(
      /\$SUDO env WG_QUICK_USERSPACE_IMPLEMENTATION=\/usr\/bin\/wireguard-go WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD=1 wg-quick up mp0$/,
    );
  });
});

describe("linux on a real shell", () => {
  test("tunnel up/down with stand-in wg and wg-quick: down first when up, the env reaches wg-quick", async () => {
    const bin = join(tmp, "bin");
    const log = join(tmp, "log");
    stub(bin, "sudo", '[ "$1" = -n ] && shift; exec "$@"');
    stub(bin, "wg", `[ -e '${tmp}/up' ]`);
    stub(
      bin,
      "wg-quick",
      `echo "wg-quick $* impl=\${WG_QUICK_USERSPACE_IMPLEMENTATION:-}" >> '${log}'; if [ "$1" = up ]; then touch '${tmp}/up'; else rm -f '${tmp}/up'; fi`,
    );
    const shell = new PathShell(bin);
    await linuxTarget.tunnelUp(shell, "mp0", "wireguard-go");
    await linuxTarget.tunnelUp(shell, "mp0", undefined);
    expect(readFileSync(log, "utf8")).toBe(
      "wg-quick up mp0 impl=wireguard-go\nwg-quick down mp0 impl=\nwg-quick up mp0 impl=\n",
    );
  });

  test("upload, private files, service files, missing and remove against a temp home named o'brien x", async () => {
    const home = join(tmp, "home", `o'brien x $(touch pwned) "q"`);
    mkdirSync(home, { recursive: true });
    const shell = new LocalShell();
    const layout = linuxTarget.layout(home);
    const agentPath = join(tmp, "device-agent");
    writeFileSync(agentPath, "#!/bin/sh\nexit 0\n");
    const agent = {
      path: agentPath,
      sha256: createHash("sha256").update(readFileSync(agentPath)).digest("hex"),
      bytes: statSync(agentPath).size,
    };

    // What went over the wire is the gzip (cached next to the executable), not the executable.
    const sent = await linuxTarget.uploadAgent(shell, layout, agent);
    expect(sent).toBe(statSync(compressedPath(agent)).size);
    await expect(linuxTarget.uploadAgent(shell, layout, agent)).resolves.toBe(0);
    expect(readFileSync(layout.binary, "utf8")).toBe("#!/bin/sh\nexit 0\n");
    expect(statSync(layout.binary).mode & 0o777).toBe(0o755);

    await expect(linuxTarget.missingAgentFiles(shell, layout)).resolves.toEqual([
      layout.config,
      layout.manifest,
      layout.secret,
      layout.supervisor,
    ]);
    for (const file of [layout.config, layout.manifest, layout.secret]) {
      await linuxTarget.writePrivateFile(shell, file, `text of ${file}\n`);
      expect(readFileSync(file, "utf8")).toBe(`text of ${file}\n`);
      expect(statSync(file).mode & 0o777).toBe(0o600);
    }
    await linuxTarget.writePrivateFile(shell, layout.secret, "rewritten\n");
    expect(readFileSync(layout.secret, "utf8")).toBe("rewritten\n");
    await linuxTarget.installService(shell, layout, linux({ init: "systemd" }));
    expect(readFileSync(layout.unit, "utf8")).toContain("ExecStart=");
    await expect(linuxTarget.missingAgentFiles(shell, layout)).resolves.toEqual([]);

    await linuxTarget.removeAgentFiles(shell, layout);
    for (const path of layout.owned) expect(existsSync(path)).toBe(false);
    expect(existsSync(home)).toBe(true);
    await linuxTarget.removeAgentFiles(shell, layout);
    expect(existsSync(join(process.cwd(), "pwned")) || existsSync(join(home, "pwned"))).toBe(false);
  });

  test("a corrupted upload is removed and refused with a sentence", async () => {
    const layout = linuxTarget.layout(join(tmp, "ana"));
    const agentPath = join(tmp, "device-agent");
    writeFileSync(agentPath, "bytes");
    const agent = { path: agentPath, sha256: "0".repeat(64), bytes: 5 };
    await expect(linuxTarget.uploadAgent(new LocalShell(), layout, agent)).rejects.toThrow(
      new UserError(
        "the agent uploaded to the hub does not match its checksum — the transfer was corrupted; run the command again",
      ),
    );
    expect(existsSync(`${layout.binary}.upload`)).toBe(false);
    expect(existsSync(layout.binary)).toBe(false);
  });

  test("without systemd: the supervisor runs the agent in its own session, and stop ends both", async () => {
    // The supervisor double-quotes its paths, so this home keeps to a quote and a space.
    const home = join(tmp, "o'brien x");
    const shell = new LocalShell();
    const layout = linuxTarget.layout(home);
    const facts = linux({ init: "none" });
    mkdirSync(join(home, ".local/share/meshpilot"), { recursive: true });
    writeFileSync(layout.binary, "#!/bin/sh\nsleep 30\n", { mode: 0o755 });
    await linuxTarget.installService(shell, layout, facts);
    expect(existsSync(layout.unit)).toBe(false);

    await linuxTarget.startAgent(shell, layout, facts);
    await until(() => agentProcessRunning(shell, layout));
    expect(readFileSync(layout.pidfile, "utf8")).toMatch(/^\d+\n$/);
    await linuxTarget.stopAgent(shell, layout, facts);
    await until(async () => !(await agentProcessRunning(shell, layout)));
    expect(existsSync(layout.pidfile)).toBe(false);
  });
});

async function until(condition: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
