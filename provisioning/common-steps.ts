import { UserError } from "../common/errors";
import type { SshTarget } from "../ssh/target";
import type { Backend, DeviceStore, DeviceUpdate } from "../state/devices";
import type { Step } from "./engine";
import type { MatrixProvisioner } from "./ports";

/** What every add pipeline keeps: the name, whether this run holds it, and the room. */
export interface DeviceRunData {
  name: string;
  /** How the bot reaches the device over SSH; every backend records it on the device row. */
  target: SshTarget;
  claimed?: boolean;
  roomId?: string;
}

/** Step 1 of every pipeline: hold the name (a row in devices), or say who has it. */
export function reserveNameStep<D extends DeviceRunData>(devices: DeviceStore, backend: Backend): Step<D> {
  return {
    name: "reserving the name",
    do: (ctx) => {
      if (!devices.claim(ctx.data.name, backend)) throw nameTaken(devices, ctx.data.name);
      ctx.data.claimed = true;
      return Promise.resolve();
    },
    undo: (ctx) => {
      if (!ctx.data.claimed) return Promise.resolve();
      devices.remove(ctx.data.name);
      return Promise.resolve("name released");
    },
  };
}

/** The agent user and #device-<name>, with the operators invited. */
export function agentRoomStep<D extends DeviceRunData>(
  matrix: MatrixProvisioner,
  topic: (data: D) => string,
): Step<D> {
  const create = async (data: D): Promise<void> => {
    await matrix.ensureAgentUser(data.name, `agent-${data.name}`);
    data.roomId = await matrix.createDeviceRoom(data.name, `device ${data.name}`, topic(data));
  };
  return {
    name: "creating the agent user and its room",
    do: async (ctx) => {
      ctx.save();
      await create(ctx.data);
      return matrix.roomAlias(ctx.data.name);
    },
    undo: async (ctx) => {
      await matrix.removeDeviceRoom(ctx.data.name, ctx.data.roomId);
      await matrix.retireAgentUser(ctx.data.name);
      return "agent user and room removed";
    },
    check: (ctx) =>
      ctx.data.roomId
        ? matrix.checkDeviceRoom(ctx.data.name, ctx.data.roomId)
        : Promise.resolve({ ok: false, problem: "no room" }),
    repair: async (ctx) => {
      if (ctx.data.roomId) return matrix.repairDeviceRoom(ctx.data.name, ctx.data.roomId);
      await create(ctx.data);
      return "room created again";
    },
  };
}

/** The last step: the device row marked live with what the run learned, and the agent's hello. */
export function helloStep<D extends DeviceRunData>(
  devices: DeviceStore,
  matrix: MatrixProvisioner,
  live: (data: D) => DeviceUpdate,
  hello: (data: D) => string,
): Step<D> {
  return {
    name: "saying hello",
    do: async (ctx) => {
      devices.update(ctx.data.name, {
        ssh_user: ctx.data.target.user,
        ssh_host: ctx.data.target.host,
        ssh_port: ctx.data.target.port,
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

function nameTaken(devices: DeviceStore, name: string): UserError {
  const existing = devices.get(name);
  const what = existing?.backend === "wg" ? "a WireGuard device" : "an SSH-only device";
  const hint =
    existing?.status === "provisioning"
      ? "it is being added right now"
      : `!revoke ${name} first, or pick another name`;
  return new UserError(`${name} is already ${what} — ${hint}`);
}
