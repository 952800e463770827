import type { Pipeline } from "../engine";
import type { PullAddData } from "../run-data";
import { helloStep } from "../steps/hello";
import { reserveNameStep } from "../steps/reserve-name";
import { agentRoomStep } from "../steps/room";
import { PullRun, type PullDeps } from "./run";
import {
  agentAnswersStep,
  allocateIpStep,
  approvalStep,
  openLinkStep,
  pcInstallsStep,
  pullHubPeerStep,
  waitForPcStep,
} from "./steps";

export const PULL_PIPELINE = "add-pull";
/** A new link for a live device: the same machine (or its replacement) gets a new key, same IP, same room. */
export const REENROLL_PIPELINE = "repair-pull";

function live(data: PullAddData) {
  return {
    os: data.facts?.os ?? null,
    arch: data.facts?.arch ?? null,
    os_pretty: data.facts?.osPretty ?? null,
    mesh_ip: data.meshIp ?? null,
  };
}

/**
 * `!add-pc <name> --via pull`: the PC runs a one-time link; the bot never connects to it.
 * The same step values as push where the work is the bot's, and the PC runs the same
 * adapter commands push sends, from the script it is answered with.
 */
export function pullAddPipeline(
  deps: PullDeps,
  token: string,
  options: { reenroll: boolean },
): Pipeline<PullAddData> & { run: PullRun } {
  const run = new PullRun(deps, token);
  const wait = [openLinkStep(run), waitForPcStep(run), ...(deps.approveFirst ? [approvalStep(run)] : [])];
  const mesh = [allocateIpStep(run), pullHubPeerStep(run), pcInstallsStep(run), agentAnswersStep(run)];
  if (options.reenroll) {
    return {
      name: REENROLL_PIPELINE,
      run,
      steps: [
        ...wait,
        ...mesh,
        helloStep(
          deps.devices,
          deps.matrix,
          live,
          (d) =>
            `I'm back: ${d.name} was enrolled again (${d.facts?.osPretty}, ${d.facts?.arch}), same mesh IP ${d.meshIp}, new key.`,
        ),
      ],
    };
  }
  return {
    name: PULL_PIPELINE,
    run,
    steps: [
      reserveNameStep(deps.devices, "wg"),
      ...wait,
      ...mesh,
      agentRoomStep(
        deps.matrix,
        (d) => `meshpilot agent for ${d.name} — WireGuard ${d.meshIp ?? ""} (enrolled by pull)`,
      ),
      helloStep(
        deps.devices,
        deps.matrix,
        live,
        (d) =>
          `Hello! I'm agent-${d.name}, the agent on ${d.name} (${d.facts?.osPretty}, ${d.facts?.arch}), on the mesh at ${d.meshIp}. ` +
          `I act through the device agent's audited capabilities; risky ones wait for your 👍. Ask me what you want to know or do.`,
      ),
    ],
  };
}
