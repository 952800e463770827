import { UserError } from "../../common/errors";

/** IPv4 helpers for the mesh subnet. */
export function ipToInt(ip: string): number {
  const parts = ip.split(".").map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255))
    throw new Error(`not an IPv4 address: ${ip}`);
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

export function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}

export interface Subnet {
  network: number;
  prefix: number;
  size: number;
}

export function parseSubnet(cidr: string): Subnet {
  const [ip, bits] = cidr.split("/");
  const prefix = Number(bits);
  const size = 2 ** (32 - prefix);
  const network = (ipToInt(ip!) & ~(size - 1)) >>> 0;
  return { network, prefix, size };
}

export function inSubnet(ip: string, subnet: Subnet): boolean {
  const n = ipToInt(ip);
  return n >= subnet.network && n < subnet.network + subnet.size;
}

/**
 * The lowest free host address: not the network or broadcast address, not the hub's,
 * not one already held. Holding is recorded by the caller in the same transaction.
 */
export function lowestFree(cidr: string, hubAddress: string, taken: ReadonlySet<string>): string {
  const subnet = parseSubnet(cidr);
  for (let n = subnet.network + 1; n < subnet.network + subnet.size - 1; n++) {
    const ip = intToIp(n);
    if (ip !== hubAddress && !taken.has(ip)) return ip;
  }
  throw new UserError(`the mesh subnet ${cidr} is full — revoke a device or widen mesh.subnet`);
}
