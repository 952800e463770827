import { UserError } from "../../common/errors";
import { validHome } from "../../device-agent/manifest/render";
import {
  findAgentSecret,
  newAgentSecret,
  readAgentSecret,
  removeAgentSecret,
  saveAgentSecret,
} from "../../state/agent-secret";
import type { Step } from "../engine";
import type { PullAddData } from "../run-data";
import { pickAdapter } from "../targets";
import { agentTarget, normaliseArch } from "../targets/builds";
import { parseFacts } from "../targets/detect";
import type { TargetFacts } from "../targets/types";
import { agentConfigYaml, manifestFor } from "../wg/agent-install";
import { lowestFree } from "../wg/ipam";
import { asPublicKey, generatePresharedKey } from "../wg/keys";
import { waitForAgent } from "../wg/ready";
import { meshClientConfig } from "../wg/tunnel-config";
import type { Hello } from "./rendezvous";
import type { PullRun } from "./run";
import { PRIVATE_KEY_SLOT, stage2Ps, stage2Sh, uninstallPath } from "./stage2";

/** The link is open for the PC from here; undone, it is dead (cancelled) and a waiting PC is told. */
export function openLinkStep(run: PullRun): Step<PullAddData> {
  const { rendezvous, enrollments } = run.deps;
  return {
    name: "opening the one-time link",
    // Opened when the link is made (the operator may be quicker than this step); a link
    // cancelled in between is not opened again.
    do: (ctx) => {
      if (!rendezvous.isOpen(ctx.data.tokenHash))
        return Promise.reject(new UserError(`the link for ${ctx.data.name} was cancelled`));
      return Promise.resolve(`valid until ${new Date(ctx.data.expiresAt).toISOString().slice(11, 16)} UTC`);
    },
    undo: (ctx) => {
      enrollments.void(ctx.data.tokenHash, Date.now() >= ctx.data.expiresAt ? "expired" : "cancelled");
      rendezvous.end(
        ctx.data.tokenHash,
        `the enrollment of ${ctx.data.name} was stopped on the hub — ask for a new link`,
      );
      return Promise.resolve("link closed");
    },
  };
}

/** The PC ran the command: its hello (public key, facts) is checked like push checks what it detects. */
export function waitForPcStep(run: PullRun): Step<PullAddData> {
  const { rendezvous } = run.deps;
  return {
    name: "waiting for the PC to run the command",
    do: async (ctx) => {
      const hello = await rendezvous.waitHello(
        ctx.data.tokenHash,
        ctx.data.expiresAt,
        `the link for ${ctx.data.name} expired before the PC ran it — ask for a new one with !add-pc ${ctx.data.name} --via pull`,
      );
      try {
        ctx.data.facts = checkHello(ctx.data, hello);
      } catch (error) {
        if (error instanceof UserError)
          rendezvous.answer(ctx.data.tokenHash, { ok: false, sentence: error.message });
        throw error;
      }
      ctx.data.publicKey = hello.publicKey;
      ctx.data.machineId = hello.machineId;
      ctx.data.address = hello.address;
      return `${ctx.data.facts.osPretty}, ${ctx.data.facts.arch}, from ${hello.address}`;
    },
    undo: () => Promise.resolve(),
  };
}

/** enroll.approve_first: an operator's 👍 before the peer is enabled. */
export function approvalStep(run: PullRun): Step<PullAddData> {
  return {
    name: "waiting for an operator's 👍",
    do: async (ctx) => {
      const f = ctx.data.facts!;
      const answer = await run.deps.askApproval({
        device: ctx.data.name,
        what: `${ctx.data.name}: ${f.osPretty} (${f.arch}), user ${f.user}, machine ${ctx.data.machineId?.slice(0, 12)}, from ${ctx.data.address}`,
        deadline: ctx.data.expiresAt,
      });
      if (!answer.approved) {
        const sentence = `${answer.by} refused the enrollment of ${ctx.data.name}`;
        run.deps.rendezvous.answer(ctx.data.tokenHash, { ok: false, sentence });
        throw new UserError(sentence);
      }
      ctx.data.approvedBy = answer.by;
      return `approved by ${answer.by}`;
    },
    undo: () => Promise.resolve(),
  };
}

/** A mesh IP (the device's own on re-enrollment) and a preshared key; the key pair is the PC's. */
export function allocateIpStep(run: PullRun): Step<PullAddData> {
  const { devices, mesh } = run.deps;
  return {
    name: "allocating a mesh IP",
    do: (ctx) => {
      run.psk = generatePresharedKey();
      const current = devices.get(ctx.data.name)?.mesh_ip;
      if (ctx.data.previousPublicKey && current) {
        ctx.data.meshIp = current;
        return Promise.resolve(`${current} (kept)`);
      }
      ctx.data.meshIp = devices.claimMeshIp(ctx.data.name, (taken) =>
        lowestFree(mesh.subnet, mesh.hub_address, taken),
      );
      return Promise.resolve(ctx.data.meshIp);
    },
    undo: (ctx) => {
      const ip = ctx.data.meshIp;
      if (!ip || ctx.data.previousPublicKey) return Promise.resolve();
      if (devices.get(ctx.data.name)?.mesh_ip === ip) devices.update(ctx.data.name, { mesh_ip: null });
      return Promise.resolve(`${ip} freed`);
    },
  };
}

/** The PC's public key as the device's peer at the hub; on re-enrollment it replaces the old one (never a second peer). */
export function pullHubPeerStep(run: PullRun): Step<PullAddData> {
  const { hub } = run.deps;
  return {
    name: "enrolling the peer at the hub",
    do: async (ctx) => {
      if (ctx.data.previousPublicKey && ctx.data.previousPublicKey !== ctx.data.publicKey)
        await hub.removePeer(ctx.data.name, asPublicKey(ctx.data.previousPublicKey));
      await hub.addPeer(ctx.data.name, asPublicKey(ctx.data.publicKey!), run.psk!, ctx.data.meshIp!);
      return ctx.data.previousPublicKey ? "peer replaced (new key, same IP)" : ctx.data.meshIp;
    },
    undo: async (ctx) => {
      await hub.removePeer(ctx.data.name, ctx.data.publicKey ? asPublicKey(ctx.data.publicKey) : undefined);
      return "hub peer removed";
    },
  };
}

/** The bot answers the PC with the install script (the adapter's own commands) and waits for its report. */
export function pcInstallsStep(run: PullRun): Step<PullAddData> {
  const { rendezvous, stateDir, devices, mesh, hub } = run.deps;
  return {
    name: "the PC installs the tunnel and the agent",
    do: async (ctx) => {
      const facts = ctx.data.facts!;
      const adapter = run.adapter(ctx.data);
      const layout = adapter.layout(facts.home);
      const build = agentTarget(facts.os, facts.arch);
      const agent = run.deps.localAgent(build);
      const secret = findAgentSecret(stateDir, ctx.data.name) ?? newAgentSecret();
      saveAgentSecret(stateDir, ctx.data.name, secret);
      const manifest = manifestFor(facts);
      devices.update(ctx.data.name, { manifest: JSON.stringify(manifest.manifest) });
      const install = {
        adapter,
        facts,
        layout,
        url: run.linkUrl(),
        ifname: mesh.interface,
        userspace: mesh.client_userspace,
        tunnelConfig: meshClientConfig(mesh, {
          privateKey: { reveal: () => PRIVATE_KEY_SLOT },
          meshIp: ctx.data.meshIp!,
          hubPublicKey: await hub.publicKey(),
          presharedKey: run.psk!,
        }),
        agentSha256: agent.sha256,
        secret,
        manifest: manifest.text,
        agentConfig: agentConfigYaml(ctx.data.meshIp!, mesh.agent_port, layout),
      };
      const script = facts.os === "windows" ? await stage2Ps(install) : await stage2Sh(install);
      rendezvous.answer(ctx.data.tokenHash, { ok: true, script }, build);
      const done = await rendezvous.waitDone(
        ctx.data.tokenHash,
        ctx.data.expiresAt,
        `the link for ${ctx.data.name} expired while the PC was installing — ask for a new one with !add-pc ${ctx.data.name} --via pull`,
      );
      if (!done.ok)
        throw new UserError(
          `the PC could not finish the install (${done.detail.slice(0, 200)}) and undid it`,
        );
      return `${build}, installed by the PC`;
    },
    undo: (ctx) => {
      if (!ctx.data.previousPublicKey) removeAgentSecret(stateDir, ctx.data.name);
      const where = ctx.data.facts
        ? uninstallPath(run.adapter(ctx.data).layout(ctx.data.facts.home), ctx.data.facts.os)
        : undefined;
      return Promise.resolve(
        where ? `if the PC finished its install, remove it there with: sudo sh ${where}` : undefined,
      );
    },
  };
}

/** The same wait as push's step 7: a handshake at the hub, then a signed /health over the mesh. */
export function agentAnswersStep(run: PullRun): Step<PullAddData> {
  const { mesh, stateDir, hub, agentHealthy } = run.deps;
  return {
    name: "starting the agent",
    do: (ctx) =>
      waitForAgent(hub, agentHealthy, {
        device: ctx.data.name,
        publicKey: ctx.data.publicKey!,
        meshIp: ctx.data.meshIp!,
        secret: readAgentSecret(stateDir, ctx.data.name),
        timeoutS: mesh.ready_timeout_s,
        endpoint: mesh.endpoint,
        agentLog: run.adapter(ctx.data).layout(ctx.data.facts!.home).log,
      }),
    undo: () => Promise.resolve(),
  };
}

/** The hello's facts, checked against the link and against what push would accept. */
function checkHello(data: PullAddData, hello: Hello): TargetFacts {
  const facts = hello.facts;
  if (facts.os !== data.os || facts.arch !== data.arch)
    throw new UserError(
      `this link is for ${data.os}/${data.arch} and the PC is ${facts.os}/${facts.arch} — ask for a new one with !add-pc ${data.name} --via pull --os ${facts.os} --arch ${facts.arch}`,
    );
  const picked = pickAdapter(facts, data.name);
  if ("refusal" in picked) throw new UserError(picked.refusal);
  if (!validHome(facts.home))
    throw new UserError(
      `${facts.user}'s home on ${data.name} is ${JSON.stringify(facts.home)}; the agent's manifest needs an absolute path without quotes, $, .. or glob characters — enroll it from an account with a plain home`,
    );
  return facts;
}

/** What the PC's probe printed (the push probe, run as the user who ran sudo), as facts. */
export function factsFromHello(text: string): TargetFacts | undefined {
  const f = parseFacts(text);
  const os = (f.get("os") ?? "").toLowerCase();
  const arch = normaliseArch(f.get("arch") ?? "");
  const user = f.get("user") ?? "";
  const home = f.get("home") ?? "";
  if (!os || !arch || !user || !home) return undefined;
  const pm = f.get("pm");
  return {
    os,
    arch,
    osPretty: (f.get("pretty") || os).slice(0, 120),
    home,
    user,
    isRoot: f.get("uid") === "0",
    init: (["systemd", "launchd", "schtasks"] as const).find((i) => i === f.get("init")) ?? "none",
    packageManager:
      (["apt-get", "dnf", "pacman", "apk", "brew", "winget"] as const).find((p) => p === pm) ?? "none",
    // The enrollment script installed WireGuard's tools, and runs the root parts itself.
    hasWgQuick: true,
    canSudo: true,
    ...(/^S-1-[0-9-]+$/.test(f.get("sid") ?? "") ? { sid: f.get("sid")! } : {}),
  };
}
