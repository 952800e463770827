import { UserError } from "../common/errors";
import type { Logger } from "../common/log";
import type { Config } from "../config/schema";
import { connectSsh } from "../ssh/connect";
import type { HostKeyStore } from "../ssh/host-keys";
import { formatSshTarget, hostKeyId, type SshTarget } from "../ssh/target";
import type { Device, DeviceStore } from "../state/devices";
import type { Journal } from "./journal";
import type { MatrixProvisioner } from "./ports";
import type { WgAddData } from "./wg-pipeline";
import { agentLayout, removeAgentFiles, stopAgent } from "./wg/agent-install";
import { removeAgentSecret } from "./wg/agent-secret";
import type { Hub } from "./wg/hub";
import { asPublicKey } from "./wg/keys";
import { SshShell } from "./wg/shell";
import { removeTunnel } from "./wg/target";

export interface RevokeDeps {
  config: Readonly<Config>;
  devices: DeviceStore;
  journal: Journal;
  hostKeys: HostKeyStore;
  matrix: MatrixProvisioner;
  hub: Hub | undefined;
  readKey: (path: string) => Buffer;
  /** Drops the SSH pool's connection to an SSH-only device. */
  closePooled(target: SshTarget): void;
  log: Logger;
}

export type RevokeResult =
  { kind: "already_revoked"; device: Device } | { kind: "revoked"; done: string[]; left: string[] };

/**
 * Takes a device away: the hub peer (running and saved), the agent, its service, files and
 * tunnel on the device, the mesh IP, the room, and the row marked revoked. Every piece is
 * tried; what fails (typically: the device is unreachable) is reported, not fatal, so the
 * device is revoked on the bot's side either way and the operator knows what to clean.
 */
export class Revoker {
  private readonly inFlight = new Set<string>();

  constructor(private readonly deps: RevokeDeps) {}

  /** A revoke of this device is running. */
  busy(name: string): boolean {
    return this.inFlight.has(name);
  }

  /** Throws a UserError for a device that cannot be revoked now; returns it otherwise. */
  check(name: string): Device {
    const device = this.deps.devices.get(name);
    if (!device) throw new UserError(`there is no device ${name} — !health lists them`);
    if (device.status === "provisioning" || this.inFlight.has(name))
      throw new UserError(`${name} is being added or revoked right now — wait for that to finish`);
    return device;
  }

  async revoke(name: string, by: string): Promise<RevokeResult> {
    const device = this.check(name);
    if (device.status === "revoked") return { kind: "already_revoked", device };
    this.inFlight.add(name);
    try {
      const done: string[] = [];
      const left: string[] = [];
      const attempt = async (what: string, work: () => Promise<string | undefined>): Promise<void> => {
        try {
          const said = await work();
          if (said) done.push(said);
        } catch (error) {
          this.deps.log.warn({ err: error, device: name, what }, "revoke: a piece could not be removed");
          left.push(`${what}: ${error instanceof Error ? error.message : String(error)}`);
        }
      };
      if (device.backend === "wg") await this.revokeWg(device, attempt);
      else {
        this.deps.closePooled(targetOf(device));
        done.push("SSH connection closed");
      }
      if (device.room_id) {
        const roomId = device.room_id;
        await attempt("the device room", async () => {
          await this.deps.matrix.closeDeviceRoom(
            name,
            roomId,
            `${name} was revoked by ${by}. This room is closed; agent-${name} is leaving.`,
            `[closed] ${name} revoked ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC`,
          );
          await this.deps.matrix.retireAgentUser(name);
          return "room closed";
        });
      }
      this.deps.devices.update(name, { status: "revoked", mesh_ip: null });
      return { kind: "revoked", done, left };
    } finally {
      this.inFlight.delete(name);
    }
  }

  private async revokeWg(
    device: Device,
    attempt: (what: string, work: () => Promise<string | undefined>) => Promise<void>,
  ): Promise<void> {
    const { config, hub } = this.deps;
    const run = this.deps.journal.latestCompleted(device.name);
    const data = run ? (JSON.parse(run.data) as Partial<WgAddData>) : {};
    const ifname = config.mesh?.interface ?? "mesh0";
    await attempt("the hub peer", async () => {
      if (!hub) throw new Error("the mesh is not configured");
      await hub.removePeer(device.name, data.publicKey ? asPublicKey(data.publicKey) : undefined);
      return "hub peer removed";
    });
    const target = data.target ?? targetOf(device);
    const home = data.facts?.home ?? `/home/${target.user}`;
    const layout = agentLayout(home);
    let shell: SshShell | undefined;
    await attempt(
      `on ${formatSshTarget(target)}, the agent (service, files under ${home}/.local/share/meshpilot, .config/meshpilot, .local/state/meshpilot) and the tunnel (/etc/wireguard/${ifname}.conf)`,
      async () => {
        const { client } = await connectSsh({
          target,
          privateKey: this.deps.readKey(data.keyFile ?? config.ssh.key_file ?? ""),
          expectedFingerprint: this.deps.hostKeys.get(hostKeyId(target)),
          readyTimeoutMs: config.ssh.connect_timeout_s * 1000,
        });
        shell = new SshShell(formatSshTarget(target), client);
        return undefined;
      },
    );
    if (shell) {
      const sh = shell;
      try {
        await attempt("stopping the agent's service", async () => {
          await stopAgent(sh, layout, data.facts?.init ?? "none");
          return "agent stopped";
        });
        await attempt("removing the agent's files", async () => {
          await removeAgentFiles(sh, layout);
          return "agent files removed";
        });
        await attempt("removing the tunnel", async () => {
          await removeTunnel(sh, ifname);
          return "tunnel removed";
        });
      } finally {
        sh.close();
      }
    }
    removeAgentSecret(config.state_dir, device.name);
    const ip = device.mesh_ip;
    if (ip) {
      await attempt("freeing the mesh IP", () => {
        this.deps.devices.update(device.name, { mesh_ip: null });
        return Promise.resolve(`${ip} freed`);
      });
    }
  }
}

function targetOf(device: Device): SshTarget {
  return { user: device.ssh_user ?? "", host: device.ssh_host ?? "", port: device.ssh_port ?? 22 };
}
