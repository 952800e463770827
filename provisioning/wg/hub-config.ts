import type { WgPublicKey } from "./keys";

/**
 * The hub's wg-quick file keeps one [Peer] block per device, each introduced by a
 * "# meshpilot device <name>" line, so meshpilot can add and remove its own peers
 * without touching anything else the operator wrote.
 */
export interface HubPeerBlock {
  device: string;
  publicKey: WgPublicKey;
  meshIp: string;
}

const MARK = "# meshpilot device ";

/** The hub file holds the hub's private key already (it is 0600), so peers' preshared keys sit beside it. */
export function peerBlock(peer: HubPeerBlock, presharedKey: string): string {
  return `${MARK}${peer.device}\n[Peer]\nPublicKey = ${peer.publicKey}\nPresharedKey = ${presharedKey}\nAllowedIPs = ${peer.meshIp}/32\n`;
}

/** The file without the named device's block. */
export function removePeerBlock(text: string, device: string): string {
  const blocks = splitBlocks(text);
  return blocks
    .filter((b) => b.device !== device)
    .map((b) => b.text)
    .join("");
}

/** The file with the device's block added (replacing an older one for the same device). */
export function upsertPeerBlock(text: string, peer: HubPeerBlock, presharedKey: string): string {
  const without = removePeerBlock(text, peer.device);
  return `${without.replace(/\n*$/, "\n")}\n${peerBlock(peer, presharedKey)}`;
}

export function devicesInFile(text: string): string[] {
  return splitBlocks(text).flatMap((b) => (b.device ? [b.device] : []));
}

/** Splits into chunks: text before the first mark, then one chunk per marked block (up to the next [section] or mark). */
function splitBlocks(text: string): Array<{ device?: string; text: string }> {
  const lines = text.split(/(?<=\n)/);
  const chunks: Array<{ device?: string; text: string }> = [{ text: "" }];
  let inOurs = false;
  for (const line of lines) {
    if (line.startsWith(MARK)) {
      chunks.push({ device: line.slice(MARK.length).trim(), text: line });
      inOurs = true;
      continue;
    }
    const startsOtherSection =
      /^\s*\[/.test(line) && inOurs && chunks[chunks.length - 1]!.text.includes("[Peer]");
    if (startsOtherSection) {
      chunks.push({ text: "" });
      inOurs = false;
    }
    chunks[chunks.length - 1]!.text += line;
  }
  return chunks;
}
