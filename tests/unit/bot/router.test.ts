import type { RoomMessage } from "../../../bot/dispatch";
import { MessageRouter, type RouterDeps } from "../../../bot/router";
import type { Device } from "../../../state/devices";
import { memoryLogger } from "../support/fakes";

const OPERATOR = "@you:example.org";
const web2 = { name: "web2" } as Device;

function setup(withAgent = true) {
  const { log, lines } = memoryLogger();
  const commands: RoomMessage[] = [];
  const turns: Array<{ device: string; body: string }> = [];
  const deps: RouterDeps = {
    operators: new Set([OPERATOR]),
    botRooms: () => Promise.resolve(["!control"]),
    deviceForRoom: (roomId) => (roomId === "!web2" ? web2 : undefined),
    dispatchCommand: (message) => {
      commands.push(message);
      return Promise.resolve(true);
    },
    log,
  };
  if (withAgent) {
    deps.agentTurn = (device, message) => {
      turns.push({ device: device.name, body: message.body });
      return Promise.resolve();
    };
  }
  const message = (roomId: string, sender = OPERATOR, body = "!devices"): RoomMessage => ({
    roomId,
    eventId: "$e",
    sender,
    msgtype: "m.text",
    body,
  });
  return { router: new MessageRouter(deps), commands, turns, lines, message };
}

describe("MessageRouter", () => {
  test("an operator's message in the control room goes to the command table", async () => {
    const { router, commands, turns, message } = setup();
    await router.route(message("!control"));
    expect(commands.map((m) => m.roomId)).toEqual(["!control"]);
    expect(turns).toEqual([]);
  });

  test("an operator's message in a device room is a turn for that device's agent, not a command", async () => {
    const { router, commands, turns, message } = setup();
    await router.route(message("!web2", OPERATOR, "why is nginx down?"));
    expect(turns).toEqual([{ device: "web2", body: "why is nginx down?" }]);
    expect(commands).toEqual([]);
  });

  test("a device room with no agent yet: nothing runs, and the log says why", async () => {
    const { router, commands, lines, message } = setup(false);
    await router.route(message("!web2"));
    expect(commands).toEqual([]);
    expect(lines()).toContainEqual(expect.objectContaining({ level: 20, device: "web2" }));
  });

  test("a room the bot does not serve is ignored", async () => {
    const { router, commands, turns, message } = setup();
    expect(await router.destination(message("!elsewhere"))).toBeUndefined();
    await router.route(message("!elsewhere"));
    expect(commands).toEqual([]);
    expect(turns).toEqual([]);
  });

  test("only the exact operator MXID is obeyed: the same localpart on another server is ignored and logged", async () => {
    const { router, commands, turns, lines, message } = setup();
    for (const sender of ["@you:evil.org", "@mallory:example.org"]) {
      expect(await router.destination(message("!control", sender))).toBeUndefined();
      await router.route(message("!control", sender));
      await router.route(message("!web2", sender));
    }
    expect(commands).toEqual([]);
    expect(turns).toEqual([]);
    expect(lines()).toContainEqual(
      expect.objectContaining({ level: 20, sender: "@you:evil.org", roomId: "!control" }),
    );
  });
});
