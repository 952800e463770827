import type { Logger } from "../common/log";
import { connectSsh, HostKeyChangedError, type Connection } from "./connect";
import { execRemote, type ExecOptions, type ExecResult } from "./exec";
import { hostKeyId, type SshTarget } from "./target";

export interface PoolOptions {
  privateKeyFor(target: SshTarget): Buffer;
  pinnedFingerprint(hostId: string): string | undefined;
  /** Told once per refusal when a host presents a key other than its pin. */
  onHostKeyChanged(error: HostKeyChangedError): void;
  maxChannelsPerHost: number;
  /** ssh.connect_timeout_s and ssh.keepalive_s, in ms. */
  readyTimeoutMs?: number;
  keepaliveMs?: number;
  log: Logger;
}

interface Entry {
  connection?: Promise<Connection>;
  active: number;
  queue: Array<() => void>;
}

/**
 * One SSH connection per host, opened on first use and reopened after a drop; at most
 * maxChannelsPerHost commands at once per host (OpenSSH's MaxSessions defaults to 10).
 */
export class SshPool {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly options: PoolOptions) {}

  async exec(target: SshTarget, command: string, execOptions: ExecOptions): Promise<ExecResult> {
    const entry = this.entryFor(target);
    await this.acquire(entry);
    try {
      const opened = this.connection(target, entry);
      const { client } = await opened;
      try {
        return await execRemote(client, command, execOptions);
      } catch (error) {
        // The channel did not open, so the command never started: a connection that died
        // since its last use is replaced once, and the command tried on the new one.
        if (entry.connection === opened) entry.connection = undefined;
        this.options.log.info({ err: error }, "ssh channel failed to open; reconnecting once");
        const fresh = await this.connection(target, entry);
        return await execRemote(fresh.client, command, execOptions);
      }
    } finally {
      this.release(entry);
    }
  }

  /** Drops the host's connection (e.g. when its device is removed). */
  close(target: SshTarget): void {
    const key = this.key(target);
    const entry = this.entries.get(key);
    this.entries.delete(key);
    void entry?.connection?.then(
      (c) => c.client.end(),
      () => undefined,
    );
  }

  closeAll(): void {
    for (const entry of this.entries.values())
      void entry.connection?.then(
        (c) => c.client.end(),
        () => undefined,
      );
    this.entries.clear();
  }

  private connection(target: SshTarget, entry: Entry): Promise<Connection> {
    if (!entry.connection) {
      const hostId = hostKeyId(target);
      const opening = connectSsh({
        target,
        privateKey: this.options.privateKeyFor(target),
        expectedFingerprint: this.options.pinnedFingerprint(hostId),
        ...(this.options.readyTimeoutMs ? { readyTimeoutMs: this.options.readyTimeoutMs } : {}),
        ...(this.options.keepaliveMs ? { keepaliveMs: this.options.keepaliveMs } : {}),
      });
      entry.connection = opening;
      opening.then(
        ({ client }) => {
          this.options.log.debug({ host: hostId }, "ssh connection opened");
          client.once("close", () => {
            if (entry.connection === opening) entry.connection = undefined;
            this.options.log.info({ host: hostId }, "ssh connection closed; the next call reconnects");
          });
        },
        (error: unknown) => {
          if (entry.connection === opening) entry.connection = undefined;
          if (error instanceof HostKeyChangedError) this.options.onHostKeyChanged(error);
        },
      );
    }
    return entry.connection;
  }

  private entryFor(target: SshTarget): Entry {
    const key = this.key(target);
    let entry = this.entries.get(key);
    if (!entry) {
      entry = { active: 0, queue: [] };
      this.entries.set(key, entry);
    }
    return entry;
  }

  private key(target: SshTarget): string {
    return `${target.user}@${hostKeyId(target)}`;
  }

  private acquire(entry: Entry): Promise<void> {
    if (entry.active < this.options.maxChannelsPerHost) {
      entry.active++;
      return Promise.resolve();
    }
    return new Promise((resolve) => entry.queue.push(() => (entry.active++, resolve())));
  }

  private release(entry: Entry): void {
    entry.active--;
    entry.queue.shift()?.();
  }
}
