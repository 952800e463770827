import { createHash } from "node:crypto";
import { FakeShell } from "../targets/fake-shell";
import type { ShellResult } from "../../../../provisioning/wg/shell";
import type { Hang } from "./hang";
import { linuxCommands } from "./machine-commands";
import { sha256, type TunnelConf } from "./tunnel-conf";

/** What a fake Linux PC is: its login account, init, package manager, WireGuard, sudo. */
export interface MachineSpec {
  host: string;
  user?: string;
  /** The account's home as its passwd entry has it (default /home/<user>, /root for root). */
  home?: string;
  /** What uname -m says. */
  arch?: string;
  init?: "systemd" | "none";
  packageManager?: "apt-get" | "dnf" | "pacman" | "apk" | "none";
  /** wg-quick installed. */
  wireguard?: boolean;
  /** Passwordless sudo (root needs none). */
  sudo?: boolean;
  pretty?: string;
}

export interface RunningAgent {
  binary: string;
  listen: string;
  port: number;
  /** Read from its secret file when it started, as the real agent does. */
  secret: string;
  by: "systemd" | "supervisor";
}

export type CommandKind = "read" | "change" | "unknown";

interface Trouble {
  when: RegExp;
  how: "fail" | "hang-after" | "corrupt" | "truncate";
  message: string;
  hang?: Hang;
}

/**
 * A simulated Linux PC behind a FakeShell: it reads the commands the Linux adapter sends
 * (by their verb and their quoted paths) and keeps what they did — files, the tunnel, the
 * running agent, the service — so the real steps run against something that remembers.
 * A command it does not know exits 127 and is recorded in `unknown`.
 */
export class FakeMachine {
  readonly host: string;
  readonly user: string;
  readonly home: string;
  readonly uid: number;
  readonly arch: string;
  readonly init: "systemd" | "none";
  readonly packageManager: NonNullable<MachineSpec["packageManager"]>;
  readonly canSudo: boolean;
  readonly pretty: string;
  wireguard: boolean;
  readonly files = new Map<string, { data: Buffer; mode: number }>();
  tunnel: { ifname: string; conf: TunnelConf } | undefined;
  agent: RunningAgent | undefined;
  serviceEnabled = false;
  hostKey: string;
  reachable = true;
  /** The agent exits as soon as it starts (a bad build, a port in use). */
  agentCrashes = false;
  readonly history: Array<{ command: string; kind: CommandKind }> = [];
  readonly unknown: string[] = [];
  private troubles: Trouble[] = [];
  private corruptUnpack = false;

  constructor(spec: MachineSpec) {
    this.host = spec.host;
    this.user = spec.user ?? "ana";
    this.uid = this.user === "root" ? 0 : 1000;
    this.home = spec.home ?? (this.user === "root" ? "/root" : `/home/${this.user}`);
    this.arch = spec.arch ?? "x86_64";
    this.init = spec.init ?? "systemd";
    this.packageManager = spec.packageManager ?? "apt-get";
    this.wireguard = spec.wireguard ?? true;
    this.canSudo = this.uid === 0 || (spec.sudo ?? true);
    this.pretty = spec.pretty ?? "Debian GNU/Linux 12 (bookworm)";
    this.hostKey = fingerprintOf(`${this.host} key 1`);
  }

  get isRoot(): boolean {
    return this.uid === 0;
  }

  /** A new shell on this machine, as its login user. */
  shell(where: string): MachineShell {
    return new MachineShell(where, (command, call) => this.run(command, call.input));
  }

  /** The next command matching `when` fails with `message` and does nothing. */
  failOn(when: RegExp, message = "Input/output error"): void {
    this.troubles.push({ when, how: "fail", message });
  }

  /** The next command matching `when` does its work, then never answers (the bot dies waiting). */
  hangAfter(when: RegExp, hang: Hang): void {
    this.troubles.push({ when, how: "hang-after", message: "", hang });
  }

  /**
   * The next upload unpacks to bytes with one flipped (a flip on the wire would fail
   * gzip's CRC; this is what the SHA-256 check after unpacking is there for).
   */
  corruptNextUpload(): void {
    this.troubles.push({ when: /gunzip -c \| tee \S+\.upload/, how: "corrupt", message: "" });
  }

  /** The next upload's stream ends half-way (gunzip fails: unexpected end of file). */
  truncateNextUpload(): void {
    this.troubles.push({ when: /gunzip -c \| tee \S+\.upload/, how: "truncate", message: "" });
  }

  /** Read once by the upload command: whether the trouble "corrupt" is on this upload. */
  takeUnpackCorruption(): boolean {
    const corrupt = this.corruptUnpack;
    this.corruptUnpack = false;
    return corrupt;
  }

  /** The machine was reinstalled (or something else answers at its address). */
  changeHostKey(): void {
    this.hostKey = fingerprintOf(`${this.host} key ${Date.now()} ${Math.random()}`);
  }

  /** Commands since `from` (an index into history) that changed something, or were not understood. */
  changesSince(from: number): string[] {
    return this.history.slice(from).flatMap((h) => (h.kind === "read" ? [] : [h.command]));
  }

  write(path: string, data: Buffer | string, mode: number): void {
    this.files.set(path, { data: Buffer.isBuffer(data) ? data : Buffer.from(data), mode });
  }

  read(path: string): string | undefined {
    return this.files.get(path)?.data.toString();
  }

  /** rm -rf: the path and everything under it. */
  removeTree(path: string): void {
    for (const file of [...this.files.keys()])
      if (file === path || file.startsWith(`${path.replace(/\/+$/, "")}/`)) this.files.delete(file);
  }

  /** What the machine is, for comparing before and after (the package install is not undone: see the tests). */
  snapshot(): Record<string, unknown> {
    return {
      files: [...this.files.entries()]
        .map(([path, f]) => `${path} ${f.mode.toString(8)} ${sha256(f.data).slice(0, 12)}`)
        .sort(),
      tunnel: this.tunnel
        ? `${this.tunnel.ifname} ${this.tunnel.conf.address} ${this.tunnel.conf.publicKey}`
        : null,
      agent: this.agent ? `${this.agent.by} ${this.agent.listen}:${this.agent.port}` : null,
      serviceEnabled: this.serviceEnabled,
    };
  }

  private async run(command: string, input: string | Buffer | undefined): Promise<Partial<ShellResult>> {
    const trouble = this.troubles.find((t) => t.when.test(command));
    if (trouble) this.troubles = this.troubles.filter((t) => t !== trouble);
    const known = linuxCommands.find((c) => c.pattern.test(command));
    this.history.push({ command, kind: known?.kind ?? "unknown" });
    if (!known) {
      this.unknown.push(command);
      return { exitCode: 127, stderr: "fake machine: a command it does not know" };
    }
    if (trouble?.how === "fail") return { exitCode: 1, stderr: trouble.message };
    let data = input === undefined ? undefined : Buffer.isBuffer(input) ? input : Buffer.from(input);
    this.corruptUnpack = trouble?.how === "corrupt";
    if (trouble?.how === "truncate" && data) data = data.subarray(0, data.length >> 1);
    const result = known.run(this, command.match(known.pattern)!, data);
    if (trouble?.how === "hang-after") return trouble.hang!.hit();
    return Promise.resolve(result);
  }
}

function fingerprintOf(seed: string): string {
  return `SHA256:${createHash("sha256").update(seed).digest("base64").replace(/=+$/, "")}`;
}

/** A session on a machine: a FakeShell that can be closed (an SSH connection). */
export class MachineShell extends FakeShell {
  closed = false;
  close(): void {
    this.closed = true;
  }
}
