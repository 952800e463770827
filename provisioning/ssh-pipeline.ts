import { UserError } from "../common/errors";
import type { Config } from "../config/schema";
import type { SshManifest } from "../capabilities/ssh/policy";
import { accountHome } from "./account-home";
import type { HostKeyStore } from "../ssh/host-keys";
import { formatSshTarget } from "../ssh/target";
import type { DeviceStore } from "../state/devices";
import type { CheckResult, Pipeline, Step } from "./engine";
import type { MatrixProvisioner } from "./ports";
import type { SshAddData } from "./run-data";
import { openPinned, type Connector } from "./ssh-session";
import { helloStep } from "./steps/hello";
import { reserveNameStep } from "./steps/reserve-name";
import { agentRoomStep } from "./steps/room";
import type { Shell } from "./wg/shell";

export interface SshPipelineDeps {
  config: Readonly<Config>;
  devices: DeviceStore;
  hostKeys: HostKeyStore;
  matrix: MatrixProvisioner;
  connect: Connector;
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
        const probe = await probeHost(deps, ctx.data, {
          mode: "first-use",
          beforePin: (id) => {
            ctx.data.pinnedByRun = id;
            ctx.save();
          },
        });
        Object.assign(ctx.data, probe);
        return `${probe.osPretty}, ${probe.arch}, ${ctx.data.target.user}'s home ${probe.home}`;
      },
      undo: (ctx) => {
        if (!ctx.data.pinnedByRun) return Promise.resolve();
        hostKeys.forget(ctx.data.pinnedByRun);
        return Promise.resolve("host key unpinned");
      },
      check: async (ctx): Promise<CheckResult> => {
        try {
          await probeHost(deps, ctx.data, { mode: "required" });
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

type Probe = Required<Pick<SshAddData, "os" | "arch" | "osPretty" | "home">>;

/** Connects non-interactively (key auth only, pinned host key) and reads what the host is. */
async function probeHost(
  deps: SshPipelineDeps,
  data: SshAddData,
  pin: Parameters<typeof openPinned>[4],
): Promise<Probe> {
  const shell = await openPinned(deps.connect, deps.hostKeys, data.target, data.keyFile, pin);
  try {
    return await describeHost(shell, data.target.user);
  } finally {
    shell.close();
  }
}

/** What the host is and where the user's home is; a host without uname is refused with a sentence. */
export async function describeHost(shell: Shell, user: string): Promise<Probe> {
  const result = await shell.run(
    'uname -s; uname -m; (. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME")',
    {
      timeoutMs: 10_000,
    },
  );
  const [os = "", arch = "", pretty = ""] = result.stdout.split("\n").map((l) => l.trim());
  if (result.exitCode !== 0 && !os) {
    throw new UserError(
      `${shell.where} answered SSH but has no uname — SSH-only devices need a Unix-like system (Linux, macOS, BSD)`,
    );
  }
  const home = await accountHome(
    (command) => shell.run(command, { timeoutMs: 10_000 }),
    os.toLowerCase() === "darwin" ? "darwin" : "linux",
    user,
  );
  return { os: os.toLowerCase(), arch, osPretty: pretty || os, home };
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
