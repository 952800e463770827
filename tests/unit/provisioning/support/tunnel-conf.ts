import { createHash, createPrivateKey, createPublicKey } from "node:crypto";

export interface TunnelConf {
  privateKey: string;
  publicKey: string;
  address: string;
  hubPublicKey: string;
  presharedKey: string;
  allowedIps: string;
}

export function sha256(data: Buffer | string): string {
  return createHash("sha256").update(data).digest("hex");
}

/** The public half of a WireGuard private key (X25519), as wg pubkey prints it. */
export function publicKeyOf(privateKey: string): string {
  const der = Buffer.concat([
    Buffer.from("302e020100300506032b656e04220420", "hex"),
    Buffer.from(privateKey, "base64"),
  ]);
  const jwk = createPublicKey(createPrivateKey({ key: der, format: "der", type: "pkcs8" })).export({
    format: "jwk",
  });
  return Buffer.from(jwk.x!, "base64url").toString("base64");
}

/** A wg-quick file as wg-quick reads it; undefined when it lacks what `up` needs. */
export function parseTunnelConf(text: string): TunnelConf | undefined {
  const sections = new Map<string, Map<string, string>>();
  let current: Map<string, string> | undefined;
  for (const line of text.split("\n")) {
    const header = /^\[(\w+)\]$/.exec(line.trim());
    if (header) sections.set(header[1]!, (current = new Map<string, string>()));
    const pair = /^(\w+)\s*=\s*(.*)$/.exec(line.trim());
    if (pair && current) current.set(pair[1]!, pair[2]!);
  }
  const iface = sections.get("Interface");
  const peer = sections.get("Peer");
  const privateKey = iface?.get("PrivateKey");
  if (!iface || !peer || !privateKey) return undefined;
  return {
    privateKey,
    publicKey: publicKeyOf(privateKey),
    address: (iface.get("Address") ?? "").replace(/\/32$/, ""),
    hubPublicKey: peer.get("PublicKey") ?? "",
    presharedKey: peer.get("PresharedKey") ?? "",
    allowedIps: peer.get("AllowedIPs") ?? "",
  };
}
