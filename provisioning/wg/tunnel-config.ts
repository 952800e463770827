import type { WgPresharedKey, WgPrivateKey, WgPublicKey } from "./keys";

export interface ClientTunnel {
  /** A pull script carries a slot the PC fills in: the key never leaves it. */
  privateKey: Pick<WgPrivateKey, "reveal">;
  meshIp: string;
  hubPublicKey: WgPublicKey;
  presharedKey: WgPresharedKey;
  endpoint: string;
  subnet: string;
  keepaliveS: number;
}

/** The device's wg-quick file: its address, and the hub as its one peer for the whole mesh subnet. */
export function clientConfig(t: ClientTunnel): string {
  return [
    "# written by meshpilot",
    "[Interface]",
    `PrivateKey = ${t.privateKey.reveal()}`,
    `Address = ${t.meshIp}/32`,
    "",
    "[Peer]",
    `PublicKey = ${t.hubPublicKey}`,
    `PresharedKey = ${t.presharedKey.reveal()}`,
    `Endpoint = ${t.endpoint}`,
    `AllowedIPs = ${t.subnet}`,
    ...(t.keepaliveS > 0 ? [`PersistentKeepalive = ${t.keepaliveS}`] : []),
    "",
  ].join("\n");
}
