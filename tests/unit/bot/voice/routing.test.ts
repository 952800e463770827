import { dispatchCommand } from "../../../../bot/dispatch";
import { createCommandTable } from "../../../../bot/commands/table";
import type { CommandContext } from "../../../../bot/commands/types";
import { MessageRouter } from "../../../../bot/router";
import type { Device } from "../../../../state/devices";
import { RecordingPort, memoryLogger } from "../../support/fakes";

const OPERATOR = "@you:example.org";
const device = { name: "web2" } as Device;

describe("where spoken words go", () => {
  const { log } = memoryLogger();
  const router = new MessageRouter({
    operators: new Set([OPERATOR]),
    botRooms: () => Promise.resolve(["!alerts"]),
    deviceForRoom: (roomId) => (roomId === "!web2" ? device : undefined),
    dispatchCommand: () => Promise.resolve(true),
    log,
  });

  test("destination: commands in the bot's rooms, the agent in a device room, nothing otherwise", async () => {
    expect(await router.destination({ roomId: "!alerts", sender: OPERATOR })).toEqual({ kind: "commands" });
    expect(await router.destination({ roomId: "!web2", sender: OPERATOR })).toEqual({
      kind: "agent",
      device,
    });
    expect(await router.destination({ roomId: "!elsewhere", sender: OPERATOR })).toBeUndefined();
    expect(await router.destination({ roomId: "!alerts", sender: "@stranger:example.org" })).toBeUndefined();
  });

  test("a command knows it was spoken, so a confirmation can refuse it", async () => {
    const seen: CommandContext[] = [];
    const table = createCommandTable([
      {
        name: "confirm",
        summary: "records its context",
        usage: "!confirm",
        args: { positionals: [], flags: {} },
        run: (ctx) => {
          seen.push(ctx);
          return Promise.resolve();
        },
      },
    ]);
    const deps = { table, operators: new Set([OPERATOR]), matrix: new RecordingPort(), log };
    const message = {
      roomId: "!alerts",
      eventId: "$e",
      sender: OPERATOR,
      msgtype: "m.text",
      body: "!confirm",
    };
    await dispatchCommand(deps, { ...message, viaVoice: true });
    await dispatchCommand(deps, message);
    expect(seen.map((ctx) => ctx.viaVoice)).toEqual([true, false]);
  });
});
