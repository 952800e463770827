import { UserError } from "../../common/errors";
import type { Backend, DeviceStore } from "../../state/devices";
import type { Step } from "../engine";

/** Step 1 of every add: hold the name (a row in devices), or say who has it. */
export function reserveNameStep<D extends { name: string; claimed?: boolean | undefined }>(
  devices: DeviceStore,
  backend: Backend,
): Step<D> {
  return {
    name: "reserving the name",
    do: (ctx) => {
      const claimed = devices.claim(ctx.data.name, backend, () => {
        ctx.data.claimed = true;
        ctx.save();
      });
      if (!claimed) throw nameTaken(devices, ctx.data.name);
      return Promise.resolve();
    },
    undo: (ctx) => {
      if (!ctx.data.claimed) return Promise.resolve();
      devices.remove(ctx.data.name);
      return Promise.resolve("name released");
    },
  };
}

function nameTaken(devices: DeviceStore, name: string): UserError {
  const existing = devices.get(name);
  const what = existing?.backend === "wg" ? "a WireGuard device" : "an SSH-only device";
  const hint =
    existing?.status === "provisioning"
      ? "it is being added right now"
      : `!revoke ${name} first, or pick another name`;
  return new UserError(`${name} is already ${what} — ${hint}`);
}
