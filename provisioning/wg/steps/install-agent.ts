import {
  findAgentSecret,
  newAgentSecret,
  removeAgentSecret,
  saveAgentSecret,
} from "../../../state/agent-secret";
import type { CheckResult, Step } from "../../engine";
import type { WgAddData } from "../../run-data";
import { agentTarget } from "../../targets/builds";
import { agentConfigYaml, manifestFor } from "../agent-install";
import type { WgRun } from "../run";

/** Step 6: the agent executable (checksum-verified), its secret, manifest, config and service definition. */
export function installAgentStep(run: WgRun): Step<WgAddData> {
  const { mesh, stateDir, devices } = run.deps;
  return {
    name: "installing the device agent",
    do: async (ctx) => {
      const shell = await run.shell(ctx.data);
      const adapter = run.adapter(ctx.data);
      const facts = ctx.data.facts!;
      const files = adapter.layout(facts.home);
      const build = agentTarget(facts.os, facts.arch);
      const agent = run.deps.localAgent(build);
      ctx.data.bytesUploaded = await adapter.uploadAgent(shell, files, agent);
      const secret = findAgentSecret(stateDir, ctx.data.name) ?? newAgentSecret();
      saveAgentSecret(stateDir, ctx.data.name, secret);
      const manifest = manifestFor(facts);
      devices.update(ctx.data.name, { manifest: JSON.stringify(manifest.manifest) });
      await adapter.writePrivateFile(shell, files.secret, `${secret}\n`);
      await adapter.writePrivateFile(shell, files.manifest, manifest.text);
      await adapter.writePrivateFile(
        shell,
        files.config,
        agentConfigYaml(ctx.data.meshIp!, mesh.agent_port, files),
      );
      await adapter.installService(shell, files, facts);
      const mb = (n: number): string => (n / 1e6).toFixed(1);
      // Bytes on the wire: the gzip, or nothing when the device already had this build.
      return ctx.data.bytesUploaded
        ? `${build}, ${mb(ctx.data.bytesUploaded)} MB sent (gzip of ${mb(agent.bytes)} MB)`
        : `${build}, already on the device (same SHA-256), nothing sent`;
    },
    undo: async (ctx) => {
      removeAgentSecret(stateDir, ctx.data.name);
      if (!ctx.data.facts) return "agent secret removed";
      await run.adapter(ctx.data).removeAgentFiles(await run.shell(ctx.data), run.layout(ctx.data));
      return "agent files removed";
    },
    check: async (ctx): Promise<CheckResult> => {
      const missing = await run
        .adapter(ctx.data)
        .missingAgentFiles(await run.shell(ctx.data), run.layout(ctx.data));
      return missing.length === 0
        ? { ok: true }
        : { ok: false, problem: `missing on the device: ${missing.join(", ")}` };
    },
  };
}
