import type { CheckResult, Step, StepContext } from "../../engine";
import type { WgAddData } from "../../run-data";
import type { WgRun } from "../run";
import { meshClientConfig } from "../tunnel-config";
import { newKeysAtHub } from "./keys-at-hub";

/** Step 5: WireGuard on the device (installed if missing), its config, the tunnel up. */
export function tunnelStep(run: WgRun): Step<WgAddData> {
  const { mesh } = run.deps;
  return {
    name: "installing WireGuard and bringing the tunnel up",
    do: (ctx) => installTunnel(run, ctx),
    undo: async (ctx) => {
      if (!ctx.data.facts) return;
      await run.adapter(ctx.data).removeTunnel(await run.shell(ctx.data), mesh.interface);
      return "tunnel removed";
    },
    check: async (ctx): Promise<CheckResult> =>
      (await run.adapter(ctx.data).tunnelIsUp(await run.shell(ctx.data), mesh.interface))
        ? { ok: true }
        : { ok: false, problem: "the tunnel is down or its config is missing" },
    repair: async (ctx) => {
      const shell = await run.shell(ctx.data);
      const adapter = run.adapter(ctx.data);
      if (await adapter.tunnelConfigPresent(shell, mesh.interface)) {
        await adapter.tunnelUp(shell, mesh.interface, mesh.client_userspace);
        return "tunnel brought up";
      }
      // The config (and with it the private key) is gone: new keys, swapped at the hub.
      await newKeysAtHub(run, ctx);
      await installTunnel(run, ctx);
      return "tunnel set up again with new keys";
    },
  };
}

export async function installTunnel(run: WgRun, ctx: StepContext<WgAddData>): Promise<void> {
  const { mesh, hub } = run.deps;
  const shell = await run.shell(ctx.data);
  const adapter = run.adapter(ctx.data);
  await adapter.ensureWireguard(shell, ctx.data.facts!);
  await adapter.installTunnelConfig(
    shell,
    mesh.interface,
    meshClientConfig(mesh, {
      privateKey: run.secrets.keys!.privateKey,
      meshIp: ctx.data.meshIp!,
      hubPublicKey: await hub.publicKey(),
      presharedKey: run.secrets.psk!,
    }),
  );
  await adapter.tunnelUp(shell, mesh.interface, mesh.client_userspace);
}
