import type { Step } from "../../engine";
import type { WgAddData } from "../../run-data";
import { lowestFree } from "../ipam";
import { generateKeyPair, generatePresharedKey } from "../keys";
import type { WgRun } from "../run";

/**
 * Step 3: the lowest free mesh IP, recorded on the device row at once (no await between
 * reading the taken set and writing, so two adds never get the same IP), and new keys.
 */
export function allocateStep(run: WgRun): Step<WgAddData> {
  const { devices, mesh } = run.deps;
  return {
    name: "allocating a mesh IP and keys",
    do: (ctx) => {
      ctx.data.meshIp = devices.claimMeshIp(ctx.data.name, (taken) =>
        lowestFree(mesh.subnet, mesh.hub_address, taken),
      );
      run.secrets.keys = generateKeyPair();
      run.secrets.psk = generatePresharedKey();
      ctx.data.publicKey = run.secrets.keys.publicKey;
      return Promise.resolve(ctx.data.meshIp);
    },
    undo: (ctx) => {
      const ip = ctx.data.meshIp;
      if (!ip) return Promise.resolve();
      // Only this device's claim on the IP: a row already gone (or reused) is left alone.
      if (devices.get(ctx.data.name)?.mesh_ip === ip) devices.update(ctx.data.name, { mesh_ip: null });
      return Promise.resolve(`${ip} freed`);
    },
  };
}
