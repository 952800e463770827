import { revokeCommand } from "../../../../bot/commands/revoke";
import { ConfirmCodes } from "../../../../bot/confirm-codes";
import type { CommandContext } from "../../../../bot/commands/types";
import type { Reply } from "../../../../bot/reply";
import { isUserError } from "../../../../common/errors";
import { disposeWorlds, World } from "../../provisioning/support/world";

afterEach(disposeWorlds);

/** The command as an operator drives it: what they read, in order. */
function operator(world: World) {
  const said: string[] = [];
  const revoked: string[] = [];
  const forgotten: string[] = [];
  const command = revokeCommand({
    revoker: world.revoker,
    codes: new ConfirmCodes(300_000),
    codeTtlS: 300,
    onRevoked: (name) => revoked.push(name),
    onForgotten: (name) => forgotten.push(name),
  });
  const ctx: CommandContext = {
    sender: "@op:example.org",
    roomId: "!control:example.org",
    eventId: "$e",
    log: world.log,
    reply: (r: Reply) => Promise.resolve(String(said.push(r.body))),
    tell: (r: Reply) => Promise.resolve(String(said.push(r.body))),
    startProgress: () => Promise.reject(new Error("not used")),
  };
  const send = async (device: string, flags: Record<string, string | boolean> = {}): Promise<string> => {
    try {
      await command.run(ctx, { positionals: { device }, flags } as never);
    } catch (error) {
      if (!isUserError(error)) throw error;
      said.push(`refused: ${error.message}`);
    }
    return said[said.length - 1]!;
  };
  /** Asks for a code, then confirms with it. */
  const confirmed = async (device: string, flags: Record<string, string | boolean> = {}): Promise<string> => {
    const prompt = await send(device, flags);
    const code = /--confirm ([A-Z0-9]{4})/.exec(prompt)?.[1];
    if (!code) return prompt;
    return send(device, { ...flags, confirm: code });
  };
  return { send, confirmed, said, revoked, forgotten };
}

describe("!revoke as the operator reads it", () => {
  test("unreachable: revoked with what is left named; again when back retries only that; then nothing to do", async () => {
    const world = World.create();
    await world.live("pc1");
    const pc = world.net.machines.get("pc1.lan")!;
    const op = operator(world);
    pc.reachable = false;
    const first = await op.confirmed("pc1");
    expect(first).toMatch(
      /^⚠ pc1 revoked on the hub and the bot \(hub peer removed, .* freed, room closed, marked revoked\), but this is left:\n/,
    );
    expect(first).toContain("- on ana@pc1.lan, the agent may still run");
    expect(first).toContain(
      "Run !revoke pc1 again when it is reachable to clean that up, or !revoke pc1 --forget",
    );
    expect(op.revoked).toEqual(["pc1"]);

    pc.reachable = true;
    const prompt = await op.send("pc1");
    expect(prompt).toMatch(
      /^pc1 is revoked, but an earlier revoke left this: stopping the agent, removing the agent's files, removing the tunnel\. Revoking again retries only that\. To go ahead, type: !revoke pc1 --confirm [A-Z0-9]{4}/,
    );
    const code = /--confirm ([A-Z0-9]{4})/.exec(prompt)![1]!;
    expect(await op.send("pc1", { confirm: code })).toBe(
      "✓ pc1 revoked: agent stopped, agent files removed, tunnel removed, marked revoked, host key unpinned.",
    );
    expect(await op.send("pc1")).toBe("pc1 is already revoked — nothing to do.");
  });

  test("--forget has its own code (a revoke code does not forget), refuses a live device, and drops the record", async () => {
    const world = World.create();
    await world.live("pc1");
    const op = operator(world);
    expect(await op.send("pc1", { forget: true })).toBe(
      "refused: pc1 is live — revoke it first (!revoke pc1), then --forget it",
    );
    world.net.machines.get("pc1.lan")!.reachable = false;
    await op.confirmed("pc1");
    const revokeCode = /--confirm ([A-Z0-9]{4})/.exec(await op.send("pc1"))![1]!;
    expect(await op.send("pc1", { forget: true, confirm: revokeCode })).toBe(
      "refused: there is no pending forget of pc1 — send !revoke pc1 --forget first to get a code",
    );
    expect(world.devices.get("pc1")).toBeDefined();
    const done = await op.confirmed("pc1", { forget: true });
    expect(done).toBe(
      "✓ pc1 forgotten: device record removed, host key of ana@pc1.lan unpinned, agent secret removed. Anything an earlier revoke left on the machine stays there.",
    );
    expect(world.devices.get("pc1")).toBeUndefined();
    expect(world.hostKeys.get("pc1.lan:22")).toBeUndefined();
    expect(op.forgotten).toEqual(["pc1"]);
  });
});
