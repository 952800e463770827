import type { Pipeline } from "../engine";
import type { WgAddData } from "../run-data";
import { helloStep } from "../steps/hello";
import { reserveNameStep } from "../steps/reserve-name";
import { agentRoomStep } from "../steps/room";
import { WgRun, type WgDeps } from "./run";
import { allocateStep } from "./steps/allocate";
import { connectStep } from "./steps/connect";
import { hubPeerStep } from "./steps/hub-peer";
import { installAgentStep } from "./steps/install-agent";
import { startAgentStep } from "./steps/start-agent";
import { tunnelStep } from "./steps/tunnel";

export const WG_PIPELINE = "add-wg";

/** The nine steps of MISSION.md's `!add-pc --via wg`, each a value with do, undo and (most) check. */
export function wgAddPipeline(deps: WgDeps): Pipeline<WgAddData> & { run: WgRun } {
  const run = new WgRun(deps);
  return {
    name: WG_PIPELINE,
    run,
    steps: [
      reserveNameStep(deps.devices, "wg"),
      connectStep(run),
      allocateStep(run),
      hubPeerStep(run),
      tunnelStep(run),
      installAgentStep(run),
      startAgentStep(run),
      agentRoomStep(
        deps.matrix,
        (data) => `meshpilot agent for ${data.name} — WireGuard ${data.meshIp ?? ""}`,
      ),
      helloStep(
        deps.devices,
        deps.matrix,
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
    ],
    dispose: () => run.dispose(),
  };
}
