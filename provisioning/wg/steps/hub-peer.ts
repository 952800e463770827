import type { CheckResult, Step } from "../../engine";
import type { WgAddData } from "../../run-data";
import { asPublicKey } from "../keys";
import type { WgRun } from "../run";
import { newKeysAtHub } from "./keys-at-hub";
import { installTunnel } from "./tunnel";

/** Step 4: the device's peer at the hub (running interface and saved config). */
export function hubPeerStep(run: WgRun): Step<WgAddData> {
  const { hub } = run.deps;
  return {
    name: "enrolling the peer at the hub",
    do: async (ctx) => {
      await hub.addPeer(ctx.data.name, run.secrets.keys!.publicKey, run.secrets.psk!, ctx.data.meshIp!);
      return ctx.data.meshIp;
    },
    undo: async (ctx) => {
      await hub.removePeer(ctx.data.name, ctx.data.publicKey ? asPublicKey(ctx.data.publicKey) : undefined);
      return "hub peer removed";
    },
    check: async (ctx): Promise<CheckResult> =>
      ctx.data.publicKey && (await hub.hasPeer(ctx.data.publicKey))
        ? { ok: true }
        : { ok: false, problem: "the hub has no peer for it" },
    repair: async (ctx) => {
      await newKeysAtHub(run, ctx);
      await installTunnel(run, ctx);
      return "peer enrolled again with new keys";
    },
  };
}
