import { shellQuote } from "../../ssh/quote";
import { removePeerBlock, upsertPeerBlock } from "./hub-config";
import type { WgPresharedKey, WgPublicKey } from "./keys";
import { mustRun, type Shell } from "./shell";

export interface HubSettings {
  interface: string;
  configFile: string;
  keepaliveS: number;
}

/** What the steps use of the hub; a fake in unit tests. */
export type HubPort = Pick<Hub, "publicKey" | "addPeer" | "removePeer" | "handshakes" | "hasPeer">;

/**
 * The hub's side of the mesh: peers in the running interface (wg set) and in its
 * wg-quick file, so a reboot keeps them. Works the same on the local hub and over SSH.
 */
export class Hub {
  constructor(
    private readonly shell: Shell,
    private readonly settings: HubSettings,
  ) {}

  async publicKey(): Promise<WgPublicKey> {
    return (
      await mustRun(
        this.shell,
        `wg show ${shellQuote([this.settings.interface])} public-key`,
        "reading the hub's key",
      )
    ).trim() as WgPublicKey;
  }

  async addPeer(
    device: string,
    publicKey: WgPublicKey,
    presharedKey: WgPresharedKey,
    meshIp: string,
  ): Promise<void> {
    const ifname = shellQuote([this.settings.interface]);
    // wg reads the preshared key from a file; /dev/stdin is not openable when stdin is a
    // socket (as under Node), so it goes through a mktemp file (0600) removed right after.
    await mustRun(
      this.shell,
      `f=$(mktemp) && cat > "$f" && wg set ${ifname} peer ${shellQuote([publicKey])} preshared-key "$f" allowed-ips ${shellQuote([`${meshIp}/32`])}; rc=$?; rm -f "$f"; exit $rc`,
      "adding the peer at the hub",
      { input: `${presharedKey.reveal()}\n` },
    );
    const file = await this.readConfigFile();
    await this.writeConfigFile(upsertPeerBlock(file, { device, publicKey, meshIp }, presharedKey.reveal()));
  }

  async removePeer(device: string, publicKey: WgPublicKey | undefined): Promise<void> {
    if (publicKey) {
      await mustRun(
        this.shell,
        `wg set ${shellQuote([this.settings.interface])} peer ${shellQuote([publicKey])} remove`,
        "removing the peer at the hub",
      );
    }
    const file = await this.readConfigFile();
    const without = removePeerBlock(file, device);
    if (without !== file) await this.writeConfigFile(without);
  }

  /** Peers in the running interface: public key → latest handshake (unix seconds, 0 = never). */
  async handshakes(): Promise<Map<string, number>> {
    const out = await mustRun(
      this.shell,
      `wg show ${shellQuote([this.settings.interface])} latest-handshakes`,
      "reading the hub's peers",
    );
    return new Map(
      out
        .trim()
        .split("\n")
        .filter(Boolean)
        .map((line) => {
          const [key = "", at = "0"] = line.split(/\s+/);
          return [key, Number(at)];
        }),
    );
  }

  /**
   * Per peer: latest handshake (unix seconds, 0 = never) and bytes received, in one call.
   * The dump's first line holds the interface's private key, so it is cut on the hub and
   * never reaches this process.
   */
  async peerStats(): Promise<Map<string, { handshake: number; rx: number }>> {
    const out = await mustRun(
      this.shell,
      `d=$(wg show ${shellQuote([this.settings.interface])} dump) && printf '%s\\n' "$d" | tail -n +2`,
      "reading the hub's peers",
    );
    const stats = new Map<string, { handshake: number; rx: number }>();
    for (const line of out.split("\n")) {
      const fields = line.split("\t");
      if (fields.length < 7) continue;
      stats.set(fields[0]!, { handshake: Number(fields[4]), rx: Number(fields[5]) });
    }
    return stats;
  }

  async hasPeer(publicKey: string): Promise<boolean> {
    return (await this.handshakes()).has(publicKey);
  }

  async readConfigFile(): Promise<string> {
    const result = await this.shell.run(`cat ${shellQuote([this.settings.configFile])} 2>/dev/null`);
    return result.exitCode === 0 ? result.stdout : "";
  }

  private async writeConfigFile(text: string): Promise<void> {
    const file = shellQuote([this.settings.configFile]);
    const tmp = shellQuote([`${this.settings.configFile}.meshpilot-tmp`]);
    await mustRun(
      this.shell,
      `umask 077 && cat > ${tmp} && chmod 600 ${tmp} && mv ${tmp} ${file}`,
      "saving the hub's WireGuard config",
      {
        input: text,
      },
    );
  }
}
