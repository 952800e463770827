import { generateKeyPairSync, randomBytes } from "node:crypto";

/**
 * WireGuard keys as distinct types. Private and preshared keys never print themselves:
 * logging or JSON-encoding one shows "[redacted]"; only reveal() gives the key, and only
 * config renderers call it.
 */
class SecretKey {
  readonly #base64: string;
  constructor(base64: string) {
    if (!/^[A-Za-z0-9+/]{43}=$/.test(base64)) throw new Error("not a WireGuard key");
    this.#base64 = base64;
  }
  reveal(): string {
    return this.#base64;
  }
  toString(): string {
    return "[redacted]";
  }
  toJSON(): string {
    return "[redacted]";
  }
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return "[redacted]";
  }
}

export class WgPrivateKey extends SecretKey {
  private readonly kind = "private";
}

export class WgPresharedKey extends SecretKey {
  private readonly kind = "preshared";
}

declare const publicBrand: unique symbol;
/** A public key is safe to show and store. */
export type WgPublicKey = string & { readonly [publicBrand]: true };

export function asPublicKey(text: string): WgPublicKey {
  if (!/^[A-Za-z0-9+/]{43}=$/.test(text)) throw new Error(`not a WireGuard public key: ${text}`);
  return text as WgPublicKey;
}

/** An X25519 key pair in WireGuard's base64 form, from Node's crypto. */
export function generateKeyPair(): { privateKey: WgPrivateKey; publicKey: WgPublicKey } {
  const { privateKey, publicKey } = generateKeyPairSync("x25519");
  const d = privateKey.export({ format: "jwk" }).d!;
  const x = publicKey.export({ format: "jwk" }).x!;
  return {
    privateKey: new WgPrivateKey(Buffer.from(d, "base64url").toString("base64")),
    publicKey: asPublicKey(Buffer.from(x, "base64url").toString("base64")),
  };
}

export function generatePresharedKey(): WgPresharedKey {
  return new WgPresharedKey(randomBytes(32).toString("base64"));
}
