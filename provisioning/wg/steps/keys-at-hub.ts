import type { StepContext } from "../../engine";
import type { WgAddData } from "../../run-data";
import { asPublicKey, generateKeyPair, generatePresharedKey } from "../keys";
import type { WgRun } from "../run";

/** New keys for a live device whose peer or tunnel config is gone: the old peer out, the new one in. */
export async function newKeysAtHub(run: WgRun, ctx: StepContext<WgAddData>): Promise<void> {
  const { hub } = run.deps;
  const data = ctx.data;
  if (data.publicKey) await hub.removePeer(data.name, asPublicKey(data.publicKey));
  run.secrets.keys = generateKeyPair();
  run.secrets.psk = generatePresharedKey();
  data.publicKey = run.secrets.keys.publicKey;
  ctx.save();
  await hub.addPeer(data.name, run.secrets.keys.publicKey, run.secrets.psk, data.meshIp!);
}
