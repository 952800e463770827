import type { DeviceStore, DeviceUpdate } from "../../state/devices";
import type { Step } from "../engine";
import type { MatrixProvisioner } from "../ports";
import type { SshTarget } from "../../ssh/target";

/** The last step of an add: the device row marked live with what the run learned, and the agent's hello. */
/** A pulled device has no SSH target: its row keeps none. */
export function helloStep<D extends { name: string; roomId?: string | undefined; target?: SshTarget }>(
  devices: DeviceStore,
  matrix: MatrixProvisioner,
  live: (data: D) => DeviceUpdate,
  hello: (data: D) => string,
): Step<D> {
  return {
    name: "saying hello",
    do: async (ctx) => {
      devices.update(ctx.data.name, {
        ssh_user: ctx.data.target?.user ?? null,
        ssh_host: ctx.data.target?.host ?? null,
        ssh_port: ctx.data.target?.port ?? null,
        ...live(ctx.data),
        status: "live",
        agent_user_id: matrix.agentUserId(ctx.data.name),
        room_id: ctx.data.roomId ?? null,
      });
      await matrix.postAsAgent(ctx.data.name, ctx.data.roomId!, hello(ctx.data));
    },
    undo: () => Promise.resolve(),
    check: (ctx) =>
      Promise.resolve(
        devices.get(ctx.data.name)?.status === "live"
          ? { ok: true }
          : { ok: false, problem: "device not marked live" },
      ),
  };
}
