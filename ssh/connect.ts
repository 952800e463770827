import { Client, type ConnectConfig } from "ssh2";
import { UserError, errorCode } from "../common/errors";
import { fingerprint } from "./host-keys";
import { formatSshTarget, type SshTarget } from "./target";

export interface ConnectOptions {
  target: SshTarget;
  privateKey: Buffer;
  /** The pinned fingerprint; undefined means "first use": accept and report what was seen. */
  expectedFingerprint: string | undefined;
  readyTimeoutMs?: number;
  keepaliveMs?: number;
}

export interface Connection {
  client: Client;
  fingerprint: string;
}

/** The host presented a key other than the pinned one. Never accepted. */
export class HostKeyChangedError extends UserError {
  constructor(
    readonly target: SshTarget,
    readonly expected: string,
    readonly seen: string,
  ) {
    super(
      `the host key of ${formatSshTarget(target)} has changed (pinned ${expected}, now ${seen}) — refusing to connect. ` +
        `If the machine was reinstalled, !revoke the device and add it again; otherwise treat this as an attack`,
    );
    this.name = "HostKeyChangedError";
  }
}

/** Prefer curve25519 key exchange; keep ssh2's others after it for older servers. */
const KEX = [
  "curve25519-sha256",
  "curve25519-sha256@libssh.org",
  "ecdh-sha2-nistp256",
  "diffie-hellman-group14-sha256",
];

/** Opens an authenticated SSH connection with the host key checked against its pin. */
export function connectSsh(options: ConnectOptions): Promise<Connection> {
  const { target } = options;
  const where = formatSshTarget(target);
  return new Promise((resolve, reject) => {
    const client = new Client();
    let seen: string | undefined;
    let mismatch: HostKeyChangedError | undefined;
    const config: ConnectConfig = {
      host: target.host,
      port: target.port,
      username: target.user,
      privateKey: options.privateKey,
      readyTimeout: options.readyTimeoutMs ?? 10_000,
      keepaliveInterval: options.keepaliveMs ?? 15_000,
      keepaliveCountMax: 3,
      tryKeyboard: false,
      algorithms: { kex: KEX as never },
      hostVerifier: (key: Buffer) => {
        seen = fingerprint(key);
        if (options.expectedFingerprint && options.expectedFingerprint !== seen) {
          mismatch = new HostKeyChangedError(target, options.expectedFingerprint, seen);
          return false;
        }
        return true;
      },
    };
    client.once("ready", () => {
      // Each command is a few small request/reply packets: with Nagle on, every exchange
      // waits out the server's delayed ACK (~40 ms here); off, a pooled call takes ~4 ms.
      client.setNoDelay(true);
      client.removeAllListeners("error");
      client.on("error", () => undefined); // later socket errors surface as "close" to the pool
      resolve({ client, fingerprint: seen ?? "" });
    });
    client.once("error", (error: Error & { level?: string }) => {
      client.end();
      if (mismatch) return reject(mismatch);
      reject(describeConnectError(error, where, target.user));
    });
    client.connect(config);
  });
}

function describeConnectError(error: Error & { level?: string }, where: string, user: string): Error {
  switch (error.level) {
    case "client-authentication":
      return new UserError(
        `${where} refused the bot's SSH key for ${user} — add the bot's public key to ~${user}/.ssh/authorized_keys there, or pass --key`,
      );
    case "client-timeout":
      return new UserError(
        `${where} did not answer the SSH handshake in time — check the address and any firewall`,
      );
    case "client-dns":
      return new UserError(`cannot resolve the host in ${where} — check the spelling`);
    case "client-socket": {
      const code = errorCode(error);
      return new UserError(
        `cannot reach ${where} (${code}) — check the address, the port and that sshd is running`,
      );
    }
    default:
      return new UserError(`SSH to ${where} failed: ${error.message}`);
  }
}
