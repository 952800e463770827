import type { MeshConfig } from "../../config/schema";
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

/** A device's wg-quick file from the mesh settings: push, pull and bundles differ only in where the key is. */
export function meshClientConfig(
  mesh: Pick<MeshConfig, "endpoint" | "subnet" | "persistent_keepalive_s">,
  device: Pick<ClientTunnel, "privateKey" | "meshIp" | "hubPublicKey" | "presharedKey">,
): string {
  return clientConfig({
    ...device,
    endpoint: mesh.endpoint,
    subnet: mesh.subnet,
    keepaliveS: mesh.persistent_keepalive_s,
  });
}
