import { findAgentSecret, readAgentSecret } from "../../../state/agent-secret";
import type { CheckResult, Step } from "../../engine";
import type { WgAddData } from "../../run-data";
import { waitForAgent } from "../ready";
import type { WgRun } from "../run";

/** Step 7: the agent's service started, then a handshake at the hub and a signed /health over the mesh. */
export function startAgentStep(run: WgRun): Step<WgAddData> {
  const { mesh, stateDir, hub, agentHealthy } = run.deps;
  return {
    name: "starting the agent",
    do: async (ctx) => {
      const shell = await run.shell(ctx.data);
      await run.adapter(ctx.data).startAgent(shell, run.layout(ctx.data), ctx.data.facts!);
      return waitForAgent(hub, agentHealthy, {
        device: ctx.data.name,
        publicKey: ctx.data.publicKey!,
        meshIp: ctx.data.meshIp!,
        secret: readAgentSecret(stateDir, ctx.data.name),
        timeoutS: mesh.ready_timeout_s,
        endpoint: mesh.endpoint,
        agentLog: run.layout(ctx.data).log,
      });
    },
    undo: async (ctx) => {
      if (!ctx.data.facts) return;
      await run.adapter(ctx.data).stopAgent(await run.shell(ctx.data), run.layout(ctx.data), ctx.data.facts);
      return "agent stopped";
    },
    check: async (ctx): Promise<CheckResult> => {
      const secret = findAgentSecret(stateDir, ctx.data.name);
      return secret && ctx.data.meshIp && (await agentHealthy(ctx.data.meshIp, secret))
        ? { ok: true }
        : { ok: false, problem: "the agent does not answer /health" };
    },
  };
}
