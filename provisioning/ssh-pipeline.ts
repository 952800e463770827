import { UserError } from "../common/errors";
import type { Config } from "../config/schema";
import type { SshManifest } from "../capabilities/ssh/policy";
import { accountHome } from "./account-home";
import { connectSsh } from "../ssh/connect";
import { execRemote } from "../ssh/exec";
import type { HostKeyStore } from "../ssh/host-keys";
import { formatSshTarget, hostKeyId, type SshTarget } from "../ssh/target";
import type { DeviceStore } from "../state/devices";
import { agentRoomStep, helloStep, reserveNameStep, type DeviceRunData } from "./common-steps";
import type { CheckResult, Pipeline, Step } from "./engine";
import type { MatrixProvisioner } from "./ports";

/** What an SSH-only add keeps in the journal: enough for every undo. */
export interface SshAddData extends DeviceRunData {
  target: SshTarget;
  keyFile: string;
  /** The host key id pinned by this run (undo forgets it); absent when it was pinned before. */
  pinnedByRun?: string;
  fingerprint?: string;
  os?: string;
  arch?: string;
  osPretty?: string;
  /** The SSH user's home, from the host's account database (accountHome). */
  home?: string;
}

export interface SshPipelineDeps {
  config: Readonly<Config>;
  devices: DeviceStore;
  hostKeys: HostKeyStore;
  matrix: MatrixProvisioner;
  readKey: (path: string) => Buffer;
}

export const SSH_PIPELINE = "add-ssh";

/** Reachability, host key pin, agent user, room, hello: nothing is installed or changed on the host. */
export function sshAddPipeline(deps: SshPipelineDeps): Pipeline<SshAddData> {
  const { devices, hostKeys, matrix } = deps;
  const steps: Step<SshAddData>[] = [
    reserveNameStep(devices, "ssh"),
    {
      name: "checking SSH reachability",
      do: async (ctx) => {
        const { target } = ctx.data;
        const id = hostKeyId(target);
        const pinned = hostKeys.get(id);
        const probe = await probeHost(deps, target, pinned);
        if (!pinned) {
          ctx.data.pinnedByRun = id;
          ctx.save();
          hostKeys.pin(id, probe.fingerprint);
        }
        Object.assign(ctx.data, {
          fingerprint: probe.fingerprint,
          os: probe.os,
          arch: probe.arch,
          osPretty: probe.osPretty,
          home: probe.home,
        });
        return `${probe.osPretty}, ${probe.arch}, ${target.user}'s home ${probe.home}`;
      },
      undo: (ctx) => {
        if (!ctx.data.pinnedByRun) return Promise.resolve();
        hostKeys.forget(ctx.data.pinnedByRun);
        return Promise.resolve("host key unpinned");
      },
      check: async (ctx): Promise<CheckResult> => {
        try {
          await probeHost(deps, ctx.data.target, hostKeys.get(hostKeyId(ctx.data.target)));
          return { ok: true };
        } catch (error) {
          return { ok: false, problem: error instanceof Error ? error.message : String(error) };
        }
      },
    },
    agentRoomStep(matrix, roomTopic),
    helloStep(
      devices,
      matrix,
      (data) => ({
        os: data.os ?? null,
        arch: data.arch ?? null,
        os_pretty: data.osPretty ?? null,
        manifest: JSON.stringify(sshManifestFor(deps.config, data.target.user, data.home)),
      }),
      (data) => helloText(data, sshManifestFor(deps.config, data.target.user, data.home)),
    ),
  ];
  return { name: SSH_PIPELINE, steps };
}

/**
 * The device's manifest from the config: <user> is the SSH user, <home> its home as the
 * host's account database has it (root's is /root, not /home/root). A glob on <home> is
 * left out when the home is unknown or is "/" (which would allow the whole disk).
 */
export function sshManifestFor(
  config: Readonly<Config>,
  user: string,
  home: string | undefined,
): SshManifest {
  const settings = config.ssh_devices;
  const usableHome = home && home !== "/" ? home.replace(/\/+$/, "") : undefined;
  const pathsAllowed = settings.paths_allowed
    .filter((glob) => usableHome !== undefined || !glob.includes("<home>"))
    .map((glob) => glob.replace(/<home>/g, usableHome ?? "").replace(/<user>/g, user));
  return {
    user,
    ...(usableHome ? { home: usableHome } : {}),
    allowedBinaries: [...settings.allowed_binaries],
    pathsAllowed: [...new Set(pathsAllowed)],
    maxOutputBytes: settings.max_output_bytes,
    timeoutS: settings.timeout_s,
  };
}

interface Probe {
  fingerprint: string;
  os: string;
  arch: string;
  osPretty: string;
  home: string;
}

/** Connects non-interactively (key auth only, pinned host key) and reads what the host is. */
async function probeHost(
  deps: SshPipelineDeps,
  target: SshTarget,
  pinned: string | undefined,
): Promise<Probe> {
  const { client, fingerprint } = await connectSsh({
    target,
    privateKey: deps.readKey(deps.config.ssh.key_file!),
    expectedFingerprint: pinned,
    readyTimeoutMs: deps.config.ssh.connect_timeout_s * 1000,
  });
  try {
    const result = await execRemote(
      client,
      'uname -s; uname -m; (. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME")',
      {
        timeoutMs: 10_000,
        maxBytes: 4096,
      },
    );
    const [os = "", arch = "", pretty = ""] = result.stdout.split("\n").map((l) => l.trim());
    if (result.exitCode !== 0 && !os) {
      throw new UserError(
        `${formatSshTarget(target)} answered SSH but has no uname — SSH-only devices need a Unix-like system (Linux, macOS, BSD)`,
      );
    }
    const exec = (command: string) => execRemote(client, command, { timeoutMs: 10_000, maxBytes: 4096 });
    const home = await accountHome(exec, os.toLowerCase() === "darwin" ? "darwin" : "linux", target.user);
    return { fingerprint, os: os.toLowerCase(), arch, osPretty: pretty || os, home };
  } finally {
    client.end();
  }
}

function roomTopic(data: SshAddData): string {
  return `meshpilot agent for ${data.name} — SSH-only, read-only (${formatSshTarget(data.target)})`;
}

function helloText(data: SshAddData, manifest: SshManifest): string {
  return (
    `Hello! I'm agent-${data.name}, the agent for ${data.name} (${data.osPretty ?? data.os}, ${data.arch}), ` +
    `reached over SSH as ${formatSshTarget(data.target)}. I only read: I can run ${manifest.allowedBinaries.join(", ")} ` +
    `and look at files under ${manifest.pathsAllowed.join(", ")}. Every call I make is audited (!audit ${data.name}). ` +
    `Ask me what you want to know about this machine.`
  );
}
