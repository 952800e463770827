import type { ShellResult } from "../../../../provisioning/wg/shell";
import { DETECT_SCRIPT, SHELL_PROBE } from "../../../../provisioning/targets/detect";
import { gunzipSync } from "node:zlib";
import { CHECKSUM_MISMATCH, SUDO } from "../../../../provisioning/targets/posix";
import { SERVICE_NAME } from "../../../../provisioning/wg/services/render";
import type { FakeMachine } from "./machine";
import { parseTunnelConf, sha256 } from "./tunnel-conf";
import { WORD, unquote, words } from "./shell-words";

/** One kind of command the Linux adapter sends, and what it does to the machine. */
export interface MachineCommand {
  what: string;
  kind: "read" | "change";
  pattern: RegExp;
  run(m: FakeMachine, match: RegExpMatchArray, input: Buffer | undefined): Partial<ShellResult>;
}

/**
 * A pattern from a command's text: `W` is one shell word (captured), `{any}` any text
 * (captured), `{words}` a list of words (captured); everything else is literal.
 */
function shape(template: string): RegExp {
  const escaped = template
    .replace(/[.*+?^${}()|[\]\\]/g, "\\$&")
    .replace(/\\\{any\\\}/g, "(.*?)")
    .replace(/\\\{words\\\}/g, `(${WORD}(?: ${WORD})*)`)
    .replace(/\bW\b/g, `(${WORD})`);
  return new RegExp(`^${escaped}$`);
}

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

const ROOT = `${SUDO}; `;
const WG_DIR = "/etc/wireguard";
const DENIED = { exitCode: 1, stderr: "sudo: a password is required" };

const arg = (match: RegExpMatchArray, i: number): string => unquote(match[i]!);

function passwd(m: FakeMachine): string {
  return `${m.user}:x:${m.uid}:${m.uid}:${m.user}:${m.home}:/bin/bash\n`;
}

/** Only root writes outside the user's home. */
function writable(m: FakeMachine, path: string): boolean {
  return m.isRoot || path.startsWith(`${m.home}/`);
}

function exists(m: FakeMachine, path: string): boolean {
  return m.files.has(path) || [...m.files.keys()].some((f) => f.startsWith(`${path}/`));
}

/** The agent starts when its executable and config are there; it reads its secret once, at start. */
function startAgent(m: FakeMachine, binary: string, config: string, by: "systemd" | "supervisor"): void {
  const exe = m.files.get(binary);
  const yaml = m.read(config);
  const address = /^\s*address: (\S+)$/m.exec(yaml ?? "")?.[1];
  const port = Number(/^\s*port: (\d+)$/m.exec(yaml ?? "")?.[1]);
  const secret = m.read(/^secret_file: (.+)$/m.exec(yaml ?? "")?.[1] ?? "")?.trim();
  m.agent =
    !m.agentCrashes && exe && exe.mode & 0o100 && address && port && secret
      ? { binary, listen: address, port, secret, by }
      : undefined;
}

/** ExecStart="<binary>" --config "<config>", in systemd's quoting. */
function fromUnit(unit: string): [string, string] | undefined {
  const q = String.raw`"((?:[^"\\]|\\.)*)"`;
  const match = new RegExp(`^ExecStart=${q} --config ${q}$`, "m").exec(unit);
  const plain = (s: string): string => s.replace(/\\(.)/g, "$1").replace(/%%/g, "%").replace(/\$\$/g, "$");
  return match ? [plain(match[1]!), plain(match[2]!)] : undefined;
}

/** The loop's line: <binary> --config <config> >> <log> 2>&1. */
function fromSupervisor(script: string): [string, string] | undefined {
  const match = new RegExp(`^\\s*(${WORD}) --config (${WORD}) >> ${WORD} 2>&1$`, "m").exec(script);
  return match ? [unquote(match[1]!), unquote(match[2]!)] : undefined;
}

export const linuxCommands: MachineCommand[] = [
  {
    what: "shell probe",
    kind: "read",
    pattern: new RegExp(`^${escapeRegExp(SHELL_PROBE)}$`),
    run: () => ({ stdout: "meshpilot-probe:0\n" }),
  },
  {
    what: "detect",
    kind: "read",
    pattern: new RegExp(`^${escapeRegExp(DETECT_SCRIPT)}$`),
    run: (m) => ({
      stdout: [
        "os=Linux",
        `arch=${m.arch}`,
        `pretty=${m.pretty}`,
        `home=${m.home}`,
        `user=${m.user}`,
        `uid=${m.uid}`,
        `init=${m.init}`,
        ...(m.packageManager === "none" ? [] : [`pm=${m.packageManager}`]),
        ...(m.wireguard ? ["wgquick=yes"] : []),
        ...(m.canSudo ? ["sudo=yes"] : []),
        "",
      ].join("\n"),
    }),
  },
  {
    what: "describe (SSH-only)",
    kind: "read",
    pattern: shape(`uname -s; uname -m; (. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME")`),
    run: (m) => ({ stdout: `Linux\n${m.arch}\n${m.pretty}\n` }),
  },
  {
    what: "getent",
    kind: "read",
    pattern: shape("getent passwd -- W"),
    run: (m, match) => (arg(match, 1) === m.user ? { stdout: passwd(m) } : { exitCode: 2 }),
  },
  {
    what: "/etc/passwd",
    kind: "read",
    pattern: shape(`u=W awk -F: '$1==ENVIRON["u"]' /etc/passwd`),
    run: (m, match) => ({ stdout: arg(match, 1) === m.user ? passwd(m) : "" }),
  },
  {
    what: "install wireguard-tools",
    kind: "change",
    pattern: shape(`${ROOT}$SUDO {any} wireguard-tools`),
    run: (m, match) => {
      if (!m.canSudo) return DENIED;
      const manager = /^(?:env DEBIAN_FRONTEND=noninteractive )?(apt-get|dnf|pacman|apk) /.exec(
        match[1]!,
      )?.[1];
      if (manager !== m.packageManager) return { exitCode: 127, stderr: `${manager}: not found` };
      m.wireguard = true;
      return {};
    },
  },
  {
    what: "install the tunnel config",
    kind: "change",
    pattern: shape(
      `${ROOT}$SUDO mkdir -p W && $SUDO sh -c 'umask 077 && cat > "$1"' sh W && $SUDO chmod 600 W && $SUDO mv W W`,
    ),
    run: (m, match, input) => {
      if (!m.canSudo) return DENIED;
      m.write(arg(match, 5), input ?? Buffer.alloc(0), 0o600);
      return {};
    },
  },
  {
    what: "tunnel up",
    kind: "change",
    pattern: shape(
      `${ROOT}$SUDO wg show W >/dev/null 2>&1 && $SUDO wg-quick down W >/dev/null 2>&1; $SUDO {any}wg-quick up W`,
    ),
    run: (m, match) => {
      if (!m.canSudo) return DENIED;
      if (!m.wireguard) return { exitCode: 127, stderr: "wg-quick: command not found" };
      const ifname = arg(match, 4);
      const path = `${WG_DIR}/${ifname}.conf`;
      const text = m.read(path);
      if (text === undefined) return { exitCode: 1, stderr: `wg-quick: \`${path}' does not exist` };
      const conf = parseTunnelConf(text);
      if (!conf) return { exitCode: 1, stderr: "Configuration parsing error" };
      m.tunnel = { ifname, conf };
      return {};
    },
  },
  {
    what: "remove the tunnel",
    kind: "change",
    pattern: shape(`${ROOT}$SUDO wg-quick down W >/dev/null 2>&1; $SUDO rm -f W; true`),
    run: (m, match) => {
      if (!m.canSudo) return {};
      if (m.tunnel?.ifname === arg(match, 1)) m.tunnel = undefined;
      m.files.delete(arg(match, 2));
      return {};
    },
  },
  {
    what: "tunnel config present",
    kind: "read",
    pattern: shape(`${ROOT}$SUDO test -f W`),
    run: (m, match) => ({ exitCode: m.canSudo && m.files.has(arg(match, 1)) ? 0 : 1 }),
  },
  {
    what: "tunnel is up",
    kind: "read",
    pattern: shape(`${ROOT}$SUDO wg show W >/dev/null 2>&1`),
    run: (m, match) => ({ exitCode: m.canSudo && m.wireguard && m.tunnel?.ifname === arg(match, 1) ? 0 : 1 }),
  },
  {
    what: "sha256sum",
    kind: "read",
    pattern: new RegExp(`^sha256sum (${WORD})(?: 2>/dev/null)?$`),
    run: (m, match) => {
      const path = unquote(match[1]!);
      const file = m.files.get(path);
      return file ? { stdout: `${sha256(file.data)}  ${path}\n` } : { exitCode: 1 };
    },
  },
  {
    // gzip on stdin, unpacked through tee into W.upload and hashed on the way, length and sum checked, moved in.
    what: "upload",
    kind: "change",
    pattern: shape(
      `mkdir -p "$(dirname W)" && sum=$(gunzip -c | tee W | sha256sum) && [ $(wc -c < W) = W ] || { rm -f W; exit 1; }; ` +
        `case "$sum" in W) chmod 755 W && mv W W || { rm -f W; exit 1; } ;; *) rm -f W; exit ${CHECKSUM_MISMATCH} ;; esac`,
    ),
    run: (m, match, input) => {
      const [tmp, size, expected, bin] = [arg(match, 2), Number(arg(match, 4)), arg(match, 6), arg(match, 9)];
      if (!writable(m, tmp)) return { exitCode: 1, stderr: `tee: ${tmp}: Permission denied` };
      let data: Buffer;
      try {
        data = gunzipSync(input ?? Buffer.alloc(0));
      } catch {
        return { exitCode: 1, stderr: "gzip: stdin: unexpected end of file" };
      }
      if (m.takeUnpackCorruption()) data = Buffer.concat([data.subarray(0, -1), Buffer.from("!")]);
      if (data.length !== size) return { exitCode: 1 };
      // The case pattern is the expected sum, a space, then *; sha256sum of stdin prints "<sum>  -".
      if (!`${sha256(data)}  -`.startsWith(expected.replace(/\*$/, "")))
        return { exitCode: CHECKSUM_MISMATCH };
      m.write(bin, data, 0o755);
      return {};
    },
  },
  {
    what: "write a private file",
    kind: "change",
    pattern: shape(`mkdir -p "$(dirname W)" && (umask 077 && cat > W.tmp) && chmod 600 W.tmp && mv W.tmp W`),
    run: (m, match, input) => {
      const path = arg(match, 5);
      if (!writable(m, path)) return { exitCode: 1, stderr: "Permission denied" };
      m.write(path, input ?? Buffer.alloc(0), 0o600);
      return {};
    },
  },
  {
    what: "mv",
    kind: "change",
    pattern: shape("mv W W"),
    run: (m, match) => {
      const file = m.files.get(arg(match, 1));
      if (!file) return { exitCode: 1, stderr: "No such file or directory" };
      m.files.delete(arg(match, 1));
      m.files.set(arg(match, 2), file);
      return {};
    },
  },
  {
    what: "rm -f",
    kind: "change",
    pattern: shape("rm -f W"),
    run: (m, match) => (m.files.delete(arg(match, 1)), {}),
  },
  {
    what: "rm -rf",
    kind: "change",
    pattern: shape("rm -rf {words}"),
    run: (m, match) => {
      for (const path of words(match[1]!)) m.removeTree(path);
      return {};
    },
  },
  {
    what: "stop the agent",
    kind: "change",
    pattern: shape(
      `{any}if [ -f W ]; then kill -- -"$(cat W)" 2>/dev/null; rm -f W; fi; pkill -u "$(id -u)" -f W; true`,
    ),
    run: (m, match) => {
      const disable = match[1] === `systemctl --user disable --now ${SERVICE_NAME} 2>/dev/null; `;
      if (match[1] && !disable) return { exitCode: 2, stderr: `fake machine: unexpected ${match[1]}` };
      if (disable) m.serviceEnabled = false;
      m.files.delete(arg(match, 4));
      // systemd restarts an agent that is only killed (Restart=always) unless it was disabled --now.
      const killed = m.agent && new RegExp(arg(match, 5)).test(m.agent.binary);
      if (m.agent && (m.agent.by === "systemd" ? disable : killed)) m.agent = undefined;
      return {};
    },
  },
  {
    what: "start the agent (systemd)",
    kind: "change",
    pattern: shape(
      `(sudo -n loginctl enable-linger "$(id -un)" 2>/dev/null || loginctl enable-linger) && systemctl --user daemon-reload && systemctl --user enable ${SERVICE_NAME} && systemctl --user restart ${SERVICE_NAME}`,
    ),
    run: (m) => {
      if (m.init !== "systemd") return { exitCode: 1, stderr: "Failed to connect to bus" };
      const unit = m.read(`${m.home}/.config/systemd/user/${SERVICE_NAME}.service`);
      if (unit === undefined)
        return { exitCode: 1, stderr: `Unit file ${SERVICE_NAME}.service does not exist.` };
      m.serviceEnabled = true;
      const exec = fromUnit(unit);
      if (exec) startAgent(m, exec[0], exec[1], "systemd");
      return {};
    },
  },
  {
    what: "start the agent (supervisor)",
    kind: "change",
    pattern: shape(`mkdir -p W || exit 1; setsid sh W < /dev/null > /dev/null 2>&1 & echo $! > W`),
    run: (m, match) => {
      const script = m.read(arg(match, 2));
      m.write(arg(match, 3), "4242\n", 0o644);
      const exec = script === undefined ? undefined : fromSupervisor(script);
      if (exec) startAgent(m, exec[0], exec[1], "supervisor");
      return {};
    },
  },
  {
    what: "missing files",
    kind: "read",
    pattern: new RegExp(`^(?:\\[ -e ${WORD} \\] \\|\\| echo ${WORD}(?:; |$))+$`),
    run: (m, match) => ({
      stdout: match[0]
        .split("; ")
        .map((part) => unquote(new RegExp(`^\\[ -e (${WORD}) \\]`).exec(part)![1]!))
        .filter((path) => !exists(m, path))
        .map((path) => `${path}\n`)
        .join(""),
    }),
  },
  {
    what: "pgrep",
    kind: "read",
    pattern: shape(`pgrep -u "$(id -u)" -f W >/dev/null`),
    run: (m, match) => ({ exitCode: m.agent && new RegExp(arg(match, 1)).test(m.agent.binary) ? 0 : 1 }),
  },
];
