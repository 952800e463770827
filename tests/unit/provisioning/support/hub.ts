import { UserError } from "../../../../common/errors";
import type { HubPort } from "../../../../provisioning/wg/hub";
import { generateKeyPair, type WgPresharedKey, type WgPublicKey } from "../../../../provisioning/wg/keys";
import type { Hang } from "./hang";
import type { FakeMachine } from "./machine";

type Op = "addPeer" | "removePeer";

/**
 * The hub's WireGuard as the steps see it: the running interface (peers by key, each with
 * its preshared key and allowed IP, as `wg set` keeps them — an allowed IP given to a second
 * peer moves to it, as in WireGuard) and the saved wg-quick file (one block per device).
 * A peer has a handshake when a machine's tunnel is up with its key, the same preshared
 * key and the hub's public key.
 */
export class FakeHub implements HubPort {
  readonly keys = generateKeyPair();
  readonly running = new Map<string, { psk: string; ip: string }>();
  readonly saved = new Map<string, { publicKey: string; ip: string }>();
  /** Allowed IPs taken from one peer by another: two devices were given one address. */
  readonly moved: Array<{ ip: string; from: string; to: string }> = [];
  readonly changes: string[] = [];
  private troubles: Array<{ op: Op; how: "fail" | "fail-after" | "hang-after"; hang?: Hang }> = [];

  constructor(private readonly machines: () => Iterable<FakeMachine>) {}

  /** The next `op` fails before doing anything ("fail"), or after `wg set` but before the file is saved. */
  fail(op: Op, how: "fail" | "fail-after" = "fail"): void {
    this.troubles.push({ op, how });
  }

  hangAfter(op: Op, hang: Hang): void {
    this.troubles.push({ op, how: "hang-after", hang });
  }

  publicKey(): Promise<WgPublicKey> {
    return Promise.resolve(this.keys.publicKey);
  }

  async addPeer(device: string, publicKey: WgPublicKey, psk: WgPresharedKey, meshIp: string): Promise<void> {
    const trouble = this.trouble("addPeer");
    if (trouble?.how === "fail") throw failure("adding the peer at the hub");
    this.changes.push(`add ${device}`);
    for (const [key, peer] of this.running) {
      if (key !== publicKey && peer.ip === meshIp) {
        this.moved.push({ ip: meshIp, from: key, to: publicKey });
        peer.ip = "";
      }
    }
    this.running.set(publicKey, { psk: psk.reveal(), ip: meshIp });
    if (trouble?.how === "fail-after") throw failure("saving the hub's WireGuard config");
    this.saved.set(device, { publicKey, ip: meshIp });
    if (trouble?.how === "hang-after") await trouble.hang!.hit();
  }

  async removePeer(device: string, publicKey: WgPublicKey | undefined): Promise<void> {
    const trouble = this.trouble("removePeer");
    if (trouble?.how === "fail") throw failure("removing the peer at the hub");
    this.changes.push(`remove ${device}`);
    if (publicKey) this.running.delete(publicKey);
    if (trouble?.how === "fail-after") throw failure("saving the hub's WireGuard config");
    this.saved.delete(device);
    if (trouble?.how === "hang-after") await trouble.hang!.hit();
  }

  handshakes(): Promise<Map<string, number>> {
    const now = Math.floor(Date.now() / 1000);
    const up = [...this.machines()].flatMap((m) => (m.tunnel ? [m.tunnel.conf] : []));
    return Promise.resolve(
      new Map(
        [...this.running].map(([key, peer]) => {
          const shaken = up.some(
            (c) =>
              c.publicKey === key && c.presharedKey === peer.psk && c.hubPublicKey === this.keys.publicKey,
          );
          return [key, shaken ? now : 0];
        }),
      ),
    );
  }

  hasPeer(publicKey: string): Promise<boolean> {
    return Promise.resolve(this.running.has(publicKey));
  }

  /** Whose peer the hub routes this mesh IP to. */
  peerFor(meshIp: string): string | undefined {
    return [...this.running].find(([, peer]) => peer.ip === meshIp)?.[0];
  }

  snapshot(): Record<string, unknown> {
    return {
      running: [...this.running].map(([key, peer]) => `${key} ${peer.ip}`).sort(),
      saved: [...this.saved].map(([device, peer]) => `${device} ${peer.publicKey} ${peer.ip}`).sort(),
    };
  }

  private trouble(op: Op) {
    const trouble = this.troubles.find((t) => t.op === op);
    this.troubles = this.troubles.filter((t) => t !== trouble);
    return trouble;
  }
}

function failure(what: string): UserError {
  return new UserError(`${what} failed on the hub (exit 1: Operation not permitted)`);
}
