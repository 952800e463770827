import type { Step } from "../engine";
import type { MatrixProvisioner } from "../ports";
import type { DeviceRunData } from "../run-data";

/** The agent user and #device-<name>, with the operators invited. */
export function agentRoomStep<D extends { name: string; roomId?: string | undefined }>(
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

/** Revoke's end of the room: a last message, the topic marked closed, the agent user retired. */
export function closeRoomStep<D extends DeviceRunData & { by: string }>(
  matrix: MatrixProvisioner,
  now: () => Date,
): Step<D> {
  return {
    name: "closing the device room",
    do: async (ctx) => {
      const { name, roomId, by } = ctx.data;
      if (roomId) {
        await matrix.closeDeviceRoom(
          name,
          roomId,
          `${name} was revoked by ${by}. This room is closed; agent-${name} is leaving.`,
          `[closed] ${name} revoked ${now().toISOString().slice(0, 16).replace("T", " ")} UTC`,
        );
      }
      await matrix.retireAgentUser(name);
      return roomId ? "room closed" : "agent user retired";
    },
    undo: () => Promise.resolve(),
  };
}
