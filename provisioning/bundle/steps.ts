import { existsSync, renameSync, rmSync } from "node:fs";
import { UserError } from "../../common/errors";
import type { MeshConfig } from "../../config/schema";
import { newAgentSecret, removeAgentSecret, saveAgentSecret } from "../../state/agent-secret";
import type { DeviceStore } from "../../state/devices";
import type { Step } from "../engine";
import type { EnrollmentStore } from "../pull/tokens";
import { uninstallPath } from "../pull/stage2";
import { adapterFor } from "../targets";
import { agentTarget } from "../targets/builds";
import type { LocalAgent, TargetAdapter } from "../targets/types";
import { agentConfigYaml, compressedAgent, manifestFor, type CompressedAgent } from "../wg/agent-install";
import type { HubPort } from "../wg/hub";
import { lowestFree } from "../wg/ipam";
import { asPublicKey, generateKeyPair, generatePresharedKey } from "../wg/keys";
import { meshClientConfig } from "../wg/tunnel-config";
import { writeBundleArchive, type SmallEntry } from "./archive";
import type { BundleData } from "./data";
import { bundleReadme } from "./readme";
import { AGENT_FILE, bundleSh } from "./script";

/** What making a bundle needs: the hub, the state, the agent build. Small enough to fake. */
export interface BundleDeps {
  mesh: Readonly<MeshConfig>;
  stateDir: string;
  devices: DeviceStore;
  hub: HubPort;
  enrollments: EnrollmentStore;
  localAgent: (build: string) => LocalAgent;
  /** The agent's gzip (default: the one push sends, cached next to the build). */
  compressed?: (agent: LocalAgent) => Promise<CompressedAgent>;
}

/** One run's working state: the key pair and preshared key live only here until they are in the archive. */
export class BundleRun {
  keys: ReturnType<typeof generateKeyPair> | undefined;
  psk: ReturnType<typeof generatePresharedKey> | undefined;
  constructor(readonly deps: BundleDeps) {}
}

export function bundleAdapter(data: Pick<BundleData, "os" | "arch">): TargetAdapter {
  const adapter = adapterFor(data.os, data.arch);
  if (!adapter) throw new UserError(`meshpilot has no target adapter for "${data.os}"`);
  return adapter;
}

/** The hub makes the key pair (the PC cannot ask for one), a preshared key and a mesh IP. */
export function allocateStep(run: BundleRun): Step<BundleData> {
  const { devices, mesh } = run.deps;
  return {
    name: "allocating a mesh IP and keys",
    do: (ctx) => {
      run.keys = generateKeyPair();
      run.psk = generatePresharedKey();
      ctx.data.publicKey = run.keys.publicKey;
      ctx.data.meshIp = devices.claimMeshIp(ctx.data.name, (taken) =>
        lowestFree(mesh.subnet, mesh.hub_address, taken),
      );
      return Promise.resolve(ctx.data.meshIp);
    },
    undo: (ctx) => freeIp(devices, ctx.data),
  };
}

export function freeIp(devices: DeviceStore, data: BundleData): Promise<string | undefined> {
  const ip = data.meshIp;
  if (!ip) return Promise.resolve(undefined);
  if (devices.get(data.name)?.mesh_ip === ip) devices.update(data.name, { mesh_ip: null });
  return Promise.resolve(`${ip} freed`);
}

export function hubPeerStep(run: BundleRun): Step<BundleData> {
  const { hub } = run.deps;
  return {
    name: "enrolling the peer at the hub",
    do: async (ctx) => {
      await hub.addPeer(ctx.data.name, asPublicKey(ctx.data.publicKey!), run.psk!, ctx.data.meshIp!);
      return ctx.data.meshIp;
    },
    undo: async (ctx) => {
      await hub.removePeer(ctx.data.name, ctx.data.publicKey ? asPublicKey(ctx.data.publicKey) : undefined);
      return "hub peer removed";
    },
  };
}

/** The agent secret (0600 on the hub) and the archive: scripts from the adapter, the agent, the keys. */
export function writeArchiveStep(run: BundleRun): Step<BundleData> {
  const { devices, mesh, stateDir, hub } = run.deps;
  return {
    name: "writing the bundle",
    do: async (ctx) => {
      const d = ctx.data;
      if (existsSync(d.out)) throw new UserError(`${d.out} already exists — remove it or pick another --out`);
      const adapter = bundleAdapter(d);
      const layout = adapter.layout(d.facts.home);
      const agent = run.deps.localAgent(agentTarget(d.os, d.arch));
      const secret = newAgentSecret();
      saveAgentSecret(stateDir, d.name, secret);
      const manifest = manifestFor({ ...d.facts, os: d.os });
      devices.update(d.name, { manifest: JSON.stringify(manifest.manifest), os: d.os, arch: d.arch });
      const scripts = await bundleSh({
        adapter,
        facts: d.facts,
        layout,
        name: d.name,
        ifname: mesh.interface,
        userspace: mesh.client_userspace,
        tunnelConfig: meshClientConfig(mesh, {
          privateKey: run.keys!.privateKey,
          meshIp: d.meshIp!,
          hubPublicKey: await hub.publicKey(),
          presharedKey: run.psk!,
        }),
        agentSha256: agent.sha256,
        secret,
        manifest: manifest.text,
        agentConfig: agentConfigYaml(d.meshIp!, mesh.agent_port, layout),
      });
      const folder = `meshpilot-${d.name}`;
      const readme = bundleReadme({
        name: d.name,
        os: d.os,
        arch: d.arch,
        user: d.facts.user,
        layout,
        tunnelConfigPath: adapter.tunnelConfigPath(mesh.interface),
        meshIp: d.meshIp!,
        endpoint: mesh.endpoint,
        expiresAt: d.expiresAt,
        uninstall: uninstallPath(layout, d.os),
        folder,
      });
      const entries: SmallEntry[] = [
        { name: "README.txt", mode: 0o644, data: Buffer.from(readme) },
        { name: "install.sh", mode: 0o700, data: Buffer.from(scripts.install) },
        ...[...scripts.files].map(([name, text]) => ({
          name,
          mode: name.endsWith(".sh") && name !== "supervise.sh" ? 0o700 : 0o600,
          data: Buffer.from(text),
        })),
      ];
      const gz = await (run.deps.compressed ?? compressedAgent)(agent);
      d.agentSha256 = agent.sha256;
      d.wrote = true;
      ctx.save();
      const size = await writeBundleArchive(partial(d.out), folder, entries, {
        name: AGENT_FILE,
        bytes: agent.bytes,
        sha256: agent.sha256,
        openGzip: () => gz.open(),
      });
      renameSync(partial(d.out), d.out);
      return `${d.out} (${(size / 1e6).toFixed(1)} MB)`;
    },
    undo: (ctx) => {
      removeAgentSecret(stateDir, ctx.data.name);
      if (!ctx.data.wrote) return Promise.resolve("agent secret removed");
      rmSync(partial(ctx.data.out), { force: true });
      rmSync(ctx.data.out, { force: true });
      return Promise.resolve(`${ctx.data.out} removed`);
    },
  };
}

function partial(out: string): string {
  return `${out}.partial`;
}

/** The bundle as a pending enrollment: !enroll lists it, and the bot finishes or expires it. */
export function recordStep(run: BundleRun): Step<BundleData> {
  const { enrollments } = run.deps;
  return {
    name: "recording the pending enrollment",
    do: (ctx) => {
      const row = enrollments.createBundle({
        name: ctx.data.name,
        os: ctx.data.os,
        arch: ctx.data.arch,
        by: ctx.data.by,
        publicKey: ctx.data.publicKey!,
        expiresAt: ctx.data.expiresAt,
      });
      ctx.data.tokenHash = row.token_hash;
      return Promise.resolve(
        `until ${new Date(ctx.data.expiresAt).toISOString().slice(0, 16).replace("T", " ")} UTC`,
      );
    },
    undo: (ctx) => {
      if (ctx.data.tokenHash) enrollments.void(ctx.data.tokenHash, "cancelled");
      return Promise.resolve();
    },
  };
}
