import { UserError } from "../common/errors";
import type { Logger } from "../common/log";
import type { Config } from "../config/schema";
import { readManifestTemplate, renderManifest, type TemplateOs } from "../device-agent/manifest/render";
import { accountHome } from "./account-home";
import { connectSsh } from "../ssh/connect";
import type { HostKeyStore } from "../ssh/host-keys";
import { formatSshTarget, hostKeyId, type SshTarget } from "../ssh/target";
import type { DeviceStore } from "../state/devices";
import { agentRoomStep, helloStep, reserveNameStep, type DeviceRunData } from "./common-steps";
import type { CheckResult, Pipeline, Step, StepContext } from "./engine";
import type { MatrixProvisioner } from "./ports";
import {
  agentConfigYaml,
  agentFilesPresent,
  agentLayout,
  localAgent,
  removeAgentFiles,
  startAgent,
  stopAgent,
  uploadAgent,
  writePrivateFile,
} from "./wg/agent-install";
import { newAgentSecret, readAgentSecret, removeAgentSecret, saveAgentSecret } from "./wg/agent-secret";
import type { Hub } from "./wg/hub";
import { waitForAgent } from "./wg/ready";
import { lowestFree } from "./wg/ipam";
import { asPublicKey, generateKeyPair, generatePresharedKey } from "./wg/keys";
import { supervisorScript, systemdUserUnit } from "./wg/services/render";
import { SshShell } from "./wg/shell";
import {
  agentTarget,
  detectTarget,
  ensureWireguard,
  installTunnelConfig,
  removeTunnel,
  tunnelConfigPresent,
  tunnelIsUp,
  tunnelUp,
  type TargetFacts,
} from "./wg/target";
import { clientConfig } from "./wg/tunnel-config";

/** What a WireGuard add keeps in the journal. Never a private or preshared key. */
export interface WgAddData extends DeviceRunData {
  target: SshTarget;
  keyFile: string;
  pinnedByRun?: string;
  facts?: TargetFacts;
  /** --os/--arch from the operator, when detection must be overridden. */
  forced?: { os?: string; arch?: string };
  meshIp?: string;
  publicKey?: string;
  bytesUploaded?: number;
}

export interface WgPipelineDeps {
  config: Readonly<Config>;
  devices: DeviceStore;
  hostKeys: HostKeyStore;
  matrix: MatrixProvisioner;
  hub: Hub;
  readKey: (path: string) => Buffer;
  /** A signed GET /health to the agent over the mesh; true when it answers 200. */
  agentHealthy: (meshIp: string, secret: string) => Promise<boolean>;
  log: Logger;
}

export const WG_PIPELINE = "add-wg";

/** The nine steps of MISSION.md's `!add-pc --via wg`, each with do, undo and check. */
export function wgAddPipeline(deps: WgPipelineDeps): Pipeline<WgAddData> {
  const mesh = deps.config.mesh;
  if (!mesh)
    throw new UserError("the mesh is not configured — add a mesh: section to the config to use --via wg");
  const { devices, matrix, hub, hostKeys } = deps;
  let shell: SshShell | undefined;
  // Private keys live only in this run's memory, from step 3 until the config is on the device.
  const secrets: {
    keys?: ReturnType<typeof generateKeyPair>;
    psk?: ReturnType<typeof generatePresharedKey>;
  } = {};

  const target = async (data: WgAddData): Promise<SshShell> => {
    if (!shell) {
      const pinned = hostKeys.get(hostKeyId(data.target));
      const { client, fingerprint } = await connectSsh({
        target: data.target,
        privateKey: deps.readKey(data.keyFile),
        expectedFingerprint: pinned,
        readyTimeoutMs: deps.config.ssh.connect_timeout_s * 1000,
      });
      if (!pinned) {
        data.pinnedByRun = hostKeyId(data.target);
        hostKeys.pin(data.pinnedByRun, fingerprint);
      }
      shell = new SshShell(formatSshTarget(data.target), client);
    }
    return shell;
  };
  const layout = (data: WgAddData) => agentLayout(data.facts!.home);
  const init = (data: WgAddData) => data.facts!.init;

  const installTunnel = async (ctx: StepContext<WgAddData>): Promise<void> => {
    const sh = await target(ctx.data);
    await ensureWireguard(sh, ctx.data.facts!);
    await installTunnelConfig(
      sh,
      mesh.interface,
      clientConfig({
        privateKey: secrets.keys!.privateKey,
        meshIp: ctx.data.meshIp!,
        hubPublicKey: await hub.publicKey(),
        presharedKey: secrets.psk!,
        endpoint: mesh.endpoint,
        subnet: mesh.subnet,
        keepaliveS: mesh.persistent_keepalive_s,
      }),
    );
    await tunnelUp(sh, mesh.interface, mesh.client_userspace);
  };

  const newKeysAtHub = async (data: WgAddData): Promise<void> => {
    if (data.publicKey) await hub.removePeer(data.name, asPublicKey(data.publicKey));
    secrets.keys = generateKeyPair();
    secrets.psk = generatePresharedKey();
    data.publicKey = secrets.keys.publicKey;
    await hub.addPeer(data.name, secrets.keys.publicKey, secrets.psk, data.meshIp!);
  };

  const waitReady = (data: WgAddData): Promise<string> =>
    waitForAgent(hub, deps.agentHealthy, {
      device: data.name,
      publicKey: data.publicKey!,
      meshIp: data.meshIp!,
      secret: readAgentSecret(deps.config.state_dir, data.name)!,
      timeoutS: mesh.ready_timeout_s,
      endpoint: mesh.endpoint,
      agentLog: layout(data).log,
    });

  const steps: Step<WgAddData>[] = [
    reserveNameStep(devices, "wg"),
    {
      name: "connecting over SSH",
      do: async (ctx) => {
        const facts = await detectTarget(await target(ctx.data));
        if (ctx.data.forced?.os) facts.os = ctx.data.forced.os;
        if (ctx.data.forced?.arch) facts.arch = ctx.data.forced.arch;
        const build = agentTarget(facts.os, facts.arch);
        if (facts.os !== "linux") {
          throw new UserError(
            `${ctx.data.name} runs ${facts.osPretty}; enrolling ${facts.os} over SSH is not automated yet — add it with --via ssh, or install WireGuard and the ${build} agent by hand`,
          );
        }
        if (!facts.isRoot && !facts.canSudo) {
          throw new UserError(
            `${facts.user} cannot use sudo without a password on ${ctx.data.name}, and WireGuard needs root there — allow it (NOPASSWD) or connect as root`,
          );
        }
        ctx.data.facts = facts;
        return `${facts.osPretty}, ${facts.arch}`;
      },
      undo: (ctx) => {
        if (!ctx.data.pinnedByRun) return Promise.resolve();
        hostKeys.forget(ctx.data.pinnedByRun);
        return Promise.resolve("host key unpinned");
      },
    },
    {
      name: "allocating a mesh IP and keys",
      do: (ctx) => {
        const taken = new Set(devices.list().flatMap((d) => (d.mesh_ip ? [d.mesh_ip] : [])));
        ctx.data.meshIp = lowestFree(mesh.subnet, mesh.hub_address, taken);
        devices.update(ctx.data.name, { mesh_ip: ctx.data.meshIp });
        secrets.keys = generateKeyPair();
        secrets.psk = generatePresharedKey();
        ctx.data.publicKey = secrets.keys.publicKey;
        return Promise.resolve(ctx.data.meshIp);
      },
      undo: (ctx) => {
        if (!ctx.data.meshIp) return Promise.resolve();
        devices.update(ctx.data.name, { mesh_ip: null });
        return Promise.resolve(`${ctx.data.meshIp} freed`);
      },
    },
    {
      name: "enrolling the peer at the hub",
      do: async (ctx) => {
        await hub.addPeer(ctx.data.name, secrets.keys!.publicKey, secrets.psk!, ctx.data.meshIp!);
        return ctx.data.meshIp;
      },
      undo: async (ctx) => {
        await hub.removePeer(ctx.data.name, ctx.data.publicKey ? asPublicKey(ctx.data.publicKey) : undefined);
        return "peer removed";
      },
      check: async (ctx): Promise<CheckResult> =>
        ctx.data.publicKey && (await hub.hasPeer(ctx.data.publicKey))
          ? { ok: true }
          : { ok: false, problem: "the hub has no peer for it" },
      repair: async (ctx) => {
        await newKeysAtHub(ctx.data);
        await installTunnel(ctx);
        return "peer enrolled again with new keys";
      },
    },
    {
      name: "installing WireGuard and bringing the tunnel up",
      do: installTunnel,
      undo: async (ctx) => {
        if (!ctx.data.facts) return;
        await removeTunnel(await target(ctx.data), mesh.interface);
        return "tunnel removed";
      },
      check: async (ctx): Promise<CheckResult> =>
        (await tunnelIsUp(await target(ctx.data), mesh.interface))
          ? { ok: true }
          : { ok: false, problem: "the tunnel is down or its config is missing" },
      repair: async (ctx) => {
        const sh = await target(ctx.data);
        if (await tunnelConfigPresent(sh, mesh.interface)) {
          await tunnelUp(sh, mesh.interface, mesh.client_userspace);
          return "tunnel brought up";
        }
        // The config (and with it the private key) is gone: new keys, swapped at the hub.
        await newKeysAtHub(ctx.data);
        await installTunnel(ctx);
        return "tunnel set up again with new keys";
      },
    },
    {
      name: "installing the device agent",
      do: async (ctx) => {
        const sh = await target(ctx.data);
        const facts = ctx.data.facts!;
        const files = layout(ctx.data);
        const build = agentTarget(facts.os, facts.arch);
        ctx.data.bytesUploaded = await uploadAgent(sh, files, localAgent(mesh.agent_dir, build));
        const secret = readAgentSecret(deps.config.state_dir, ctx.data.name) ?? newAgentSecret();
        saveAgentSecret(deps.config.state_dir, ctx.data.name, secret);
        // The account's home as its OS has it (root's is /root), not a guess from the user name.
        const home = await accountHome((command) => sh.run(command), facts.os as TemplateOs, facts.user);
        const manifest = renderManifest(readManifestTemplate(facts.os as TemplateOs), {
          user: facts.user,
          home,
        });
        devices.update(ctx.data.name, { manifest: JSON.stringify(manifest.manifest) });
        await writePrivateFile(sh, files.secret, `${secret}\n`);
        await writePrivateFile(sh, files.manifest, manifest.text);
        await writePrivateFile(sh, files.config, agentConfigYaml(ctx.data.meshIp!, mesh.agent_port, files));
        await writePrivateFile(
          sh,
          files.unit,
          systemdUserUnit({ binary: files.binary, config: files.config, log: files.log }),
        );
        await writePrivateFile(
          sh,
          files.supervisor,
          supervisorScript({ binary: files.binary, config: files.config, log: files.log }),
        );
        return `${build}, ${Math.round((ctx.data.bytesUploaded ?? 0) / 1e6)} MB uploaded`;
      },
      undo: async (ctx) => {
        removeAgentSecret(deps.config.state_dir, ctx.data.name);
        if (!ctx.data.facts) return;
        await removeAgentFiles(await target(ctx.data), layout(ctx.data));
        return "agent files removed";
      },
      check: async (ctx): Promise<CheckResult> => {
        const missing = await agentFilesPresent(await target(ctx.data), layout(ctx.data));
        return missing.length === 0
          ? { ok: true }
          : { ok: false, problem: `missing on the device: ${missing.join(", ")}` };
      },
    },
    {
      name: "starting the agent",
      do: async (ctx) => {
        await startAgent(await target(ctx.data), layout(ctx.data), init(ctx.data));
        return waitReady(ctx.data);
      },
      undo: async (ctx) => {
        if (!ctx.data.facts) return;
        await stopAgent(await target(ctx.data), layout(ctx.data), init(ctx.data));
        return "agent stopped";
      },
      check: async (ctx): Promise<CheckResult> => {
        const secret = readAgentSecret(deps.config.state_dir, ctx.data.name);
        return secret && (await deps.agentHealthy(ctx.data.meshIp!, secret))
          ? { ok: true }
          : { ok: false, problem: "the agent does not answer /health" };
      },
    },
    agentRoomStep(matrix, (data) => `meshpilot agent for ${data.name} — WireGuard ${data.meshIp ?? ""}`),
    helloStep(
      devices,
      matrix,
      (data) => ({
        os: data.facts?.os ?? null,
        arch: data.facts?.arch ?? null,
        os_pretty: data.facts?.osPretty ?? null,
        mesh_ip: data.meshIp ?? null,
      }),
      (data) =>
        `Hello! I'm agent-${data.name}, the agent on ${data.name} (${data.facts?.osPretty}, ${data.facts?.arch}), on the mesh at ${data.meshIp}. ` +
        `I act through the device agent's audited capabilities; risky ones wait for your 👍. Ask me what you want to know or do.`,
    ),
  ];
  return {
    name: WG_PIPELINE,
    steps,
    dispose: () => {
      shell?.close();
      shell = undefined;
    },
  };
}
