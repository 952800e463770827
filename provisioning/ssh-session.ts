import { UserError } from "../common/errors";
import type { Config } from "../config/schema";
import { connectSsh } from "../ssh/connect";
import type { HostKeyStore } from "../ssh/host-keys";
import { formatSshTarget, hostKeyId, type SshTarget } from "../ssh/target";
import { readPrivateKeyFile } from "./keys-on-disk";
import { SshShell, type Shell } from "./wg/shell";

export interface ClosableShell extends Shell {
  close(): void;
}

/**
 * Opens a shell on a target, refusing any host key but `expected` when one is given;
 * reports the key it saw. Production: ssh2 with the key file; tests: a fake.
 */
export type Connector = (
  target: SshTarget,
  keyFile: string,
  expected: string | undefined,
) => Promise<{ shell: ClosableShell; fingerprint: string }>;

export function sshConnector(config: Readonly<Config>): Connector {
  return async (target, keyFile, expected) => {
    const { client, fingerprint } = await connectSsh({
      target,
      privateKey: readPrivateKeyFile(keyFile),
      expectedFingerprint: expected,
      readyTimeoutMs: config.ssh.connect_timeout_s * 1000,
      keepaliveMs: config.ssh.keepalive_s * 1000,
    });
    return { shell: new SshShell(formatSshTarget(target), client), fingerprint };
  };
}

/**
 * The one place a connection meets the pin store. `pin: "first-use"` (step 2 of an add)
 * pins the key of a host seen for the first time and returns the id it pinned, *after*
 * `beforePin` has recorded it (so an undo can find it after a crash); `pin: "required"`
 * (everything after: repair, revoke) refuses a host that has no pin.
 */
export async function openPinned(
  connect: Connector,
  hostKeys: HostKeyStore,
  target: SshTarget,
  keyFile: string,
  pin: { mode: "first-use"; beforePin(id: string): void } | { mode: "required" },
): Promise<ClosableShell> {
  const id = hostKeyId(target);
  const pinned = hostKeys.get(id);
  if (!pinned && pin.mode === "required") throw new NoPinError(target);
  const { shell, fingerprint } = await connect(target, keyFile, pinned);
  if (!pinned && pin.mode === "first-use") {
    pin.beforePin(id);
    hostKeys.pin(id, fingerprint);
  }
  return shell;
}

export class NoPinError extends UserError {
  constructor(target: SshTarget) {
    super(
      `there is no pinned host key for ${formatSshTarget(target)}, so meshpilot will not trust whatever answers there — add the device again with !add-pc`,
    );
    this.name = "NoPinError";
  }
}
