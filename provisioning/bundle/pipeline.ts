import { UserError } from "../../common/errors";
import { readAgentSecret, removeAgentSecret } from "../../state/agent-secret";
import type { Pipeline, Step } from "../engine";
import type { MatrixProvisioner } from "../ports";
import { parseRunValue } from "../run-data";
import { helloStep } from "../steps/hello";
import { reserveNameStep } from "../steps/reserve-name";
import { agentRoomStep } from "../steps/room";
import { asPublicKey } from "../wg/keys";
import { waitForAgent } from "../wg/ready";
import {
  BUNDLE_PIPELINE,
  bundleDataSchema,
  EXPIRE_BUNDLE_PIPELINE,
  FINISH_BUNDLE_PIPELINE,
  type BundleData,
} from "./data";
import {
  allocateStep,
  bundleAdapter,
  BundleRun,
  freeIp,
  hubPeerStep,
  recordStep,
  writeArchiveStep,
  type BundleDeps,
} from "./steps";

/** What the bot adds to finish a bundle over the mesh. */
export interface FinishDeps extends BundleDeps {
  matrix: MatrixProvisioner;
  agentHealthy: (meshIp: string, secret: string) => Promise<boolean>;
}

/** `meshpilot bundle`, on the hub: a rollback run — a failure anywhere undoes the rest. */
export function addBundlePipeline(deps: BundleDeps): Pipeline<BundleData> {
  const run = new BundleRun(deps);
  return {
    name: BUNDLE_PIPELINE,
    steps: [
      reserveNameStep(deps.devices, "wg"),
      allocateStep(run),
      hubPeerStep(run),
      writeArchiveStep(run),
      recordStep(run),
    ],
  };
}

/** The bot, once the bundle's key has shaken hands: the same finish as push and pull. */
export function finishBundlePipeline(deps: FinishDeps): Pipeline<BundleData> {
  const { enrollments } = deps;
  const used: Step<BundleData> = {
    name: "marking the bundle used",
    do: (ctx) => {
      enrollments.setBundleUsed(ctx.data.tokenHash!, true);
      return Promise.resolve();
    },
    undo: (ctx) => {
      enrollments.setBundleUsed(ctx.data.tokenHash!, false);
      return Promise.resolve();
    },
  };
  return {
    name: FINISH_BUNDLE_PIPELINE,
    steps: [
      {
        name: "starting the agent",
        do: (ctx) =>
          waitForAgent(deps.hub, deps.agentHealthy, {
            device: ctx.data.name,
            publicKey: ctx.data.publicKey!,
            meshIp: ctx.data.meshIp!,
            secret: readAgentSecret(deps.stateDir, ctx.data.name),
            timeoutS: deps.mesh.ready_timeout_s,
            endpoint: deps.mesh.endpoint,
            agentLog: bundleAdapter(ctx.data).layout(ctx.data.facts.home).log,
          }),
        undo: () => Promise.resolve(),
      },
      agentRoomStep(
        deps.matrix,
        (d) => `meshpilot agent for ${d.name} — WireGuard ${d.meshIp ?? ""} (installed from a bundle)`,
      ),
      used,
      helloStep(
        deps.devices,
        deps.matrix,
        (d) => ({ os: d.os, arch: d.arch, os_pretty: null, mesh_ip: d.meshIp ?? null }),
        (d) =>
          `Hello! I'm agent-${d.name}, the agent on ${d.name} (${d.os}/${d.arch}, installed from a bundle), on the mesh at ${d.meshIp}. ` +
          `I act through the device agent's audited capabilities; risky ones wait for your 👍. Ask me what you want to know or do.`,
      ),
    ],
  };
}

/**
 * A bundle that expired with no PC (or was cancelled), by the bot: the add's undos as a
 * forward run, so each is tried and a failure is named. Only for a device still provisioning.
 */
export function expireBundlePipeline(deps: BundleDeps): Pipeline<BundleData> {
  const { hub, devices, enrollments, stateDir } = deps;
  const step = (name: string, work: (data: BundleData) => Promise<string | void>): Step<BundleData> => ({
    name,
    do: (ctx) => work(ctx.data),
    undo: () => Promise.resolve(),
  });
  return {
    name: EXPIRE_BUNDLE_PIPELINE,
    mode: "forward",
    steps: [
      step("removing the hub peer", async (d) => {
        await hub.removePeer(d.name, d.publicKey ? asPublicKey(d.publicKey) : undefined);
        return "hub peer removed";
      }),
      step("freeing the mesh IP", (d) => freeIp(devices, d)),
      step("removing the agent secret", (d) => {
        removeAgentSecret(stateDir, d.name);
        return Promise.resolve("agent secret removed");
      }),
      step("ending the enrollment", (d) => {
        if (d.tokenHash) enrollments.void(d.tokenHash, d.reason === "expired" ? "expired" : "cancelled");
        return Promise.resolve(d.reason === "expired" ? "bundle expired" : "bundle cancelled");
      }),
      step("releasing the name", (d) => {
        if (devices.get(d.name)?.status !== "provisioning")
          throw new UserError(`${d.name} is no longer being added; its record was left alone`);
        devices.remove(d.name);
        return Promise.resolve("name released");
      }),
    ],
  };
}

/** Crash recovery of the bundle pipelines; `finish` is undefined where only the CLI runs. */
export function bundlePipelineFor(
  deps: BundleDeps,
  finish: FinishDeps | undefined,
): (name: string, raw: unknown) => Pipeline<unknown> | undefined {
  return (name, raw) => {
    if (![BUNDLE_PIPELINE, FINISH_BUNDLE_PIPELINE, EXPIRE_BUNDLE_PIPELINE].includes(name)) return undefined;
    parseRunValue(bundleDataSchema, raw, `a bundle run (${name})`);
    if (name === BUNDLE_PIPELINE) return addBundlePipeline(deps);
    if (name === EXPIRE_BUNDLE_PIPELINE) return expireBundlePipeline(deps);
    if (!finish) return undefined;
    return finishBundlePipeline(finish);
  };
}
