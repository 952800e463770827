import type { Connector } from "../../../provisioning/ssh-session";
import { Revoker } from "../../../provisioning/revoke";
import { Hang, HangingEngine } from "./support/hang";
import { disposeWorlds, World } from "./support/world";

afterEach(disposeWorlds);

/** Records the key file of every SSH connection the world's steps open. */
function recordKeys(world: World): string[] {
  const keys: string[] = [];
  const connect: Connector = world.wg.connect;
  (world.wg as { connect: Connector }).connect = (target, keyFile, expected) => {
    keys.push(keyFile);
    return connect(target, keyFile, expected);
  };
  return keys;
}

describe("revoke: where its data comes from, and when it is refused", () => {
  test("the device is reached with the key it was added with (--key), not the configured default", async () => {
    const world = World.create();
    world.machine({ host: "pc1.lan" });
    const added = await world.add("pc1", "pc1.lan", { keyFile: world.wg.stateDir + "/other.key" });
    expect(added.kind).toBe("added");
    const keys = recordKeys(world);
    const result = await world.revoke("pc1");
    expect(result).toMatchObject({ kind: "revoked", left: [] });
    expect(keys).toEqual([world.wg.stateDir + "/other.key"]);
  });

  test("without any journal (it was lost), the row alone still closes the room and frees the IP", async () => {
    const world = World.create();
    await world.live("pc1");
    const row = world.devices.get("pc1")!;
    world.outside.db.prepare("DELETE FROM run_steps").run();
    world.outside.db.prepare("DELETE FROM runs").run();
    const result = await world.revoke("pc1");
    if (result.kind !== "revoked") throw new Error(result.kind);
    expect(result.done).toEqual(expect.arrayContaining([`${row.mesh_ip} freed`, "room closed"]));
    expect(world.devices.get("pc1")).toMatchObject({ status: "revoked", mesh_ip: null });
    // The hub peer's key was only in the journal: the saved block goes by name, and what is left is said.
    expect(result.left.join("\n")).not.toMatch(/internal error/);
  });

  test("a second revoke while one is in flight is refused with a sentence; busy() says so meanwhile", async () => {
    const world = World.create();
    await world.live("pc1");
    const hang = new Hang();
    const stuck = world.restart({
      engine: (journal, log) => new HangingEngine(journal, log, { pipeline: "revoke-wg", step: 2, hang }),
    });
    const running = stuck.revoke("pc1");
    await hang.stuck(running);
    expect(stuck.revoker.busy("pc1")).toBe(true);
    expect(stuck.revoker.busy("other")).toBe(false);
    expect(world.devices.get("pc1")!.status).toBe("live");
    expect(() => stuck.revoker.check("pc1")).toThrow(
      "pc1 is being added or revoked right now — wait for that to finish",
    );
    expect(stuck.revoker.leftovers("pc1")).toEqual([]);
  });

  test("only revoke runs are revoke's to recover", () => {
    const world = World.create();
    expect(world.revoker.pipelineFor("add-wg", {})).toBeUndefined();
    expect(world.revoker.pipelineFor("repair-wg", {})).toBeUndefined();
    expect(() => world.revoker.pipelineFor("revoke-wg", { nonsense: true })).toThrow(
      /does not match its schema/,
    );
  });

  test("a WireGuard device when the mesh is no longer configured: one sentence, nothing changed", async () => {
    const world = World.create();
    await world.live("pc1");
    const before = world.snapshot();
    const noMesh = new Revoker({
      ...(world.revoker as unknown as { deps: ConstructorParameters<typeof Revoker>[0] }).deps,
      wg: undefined,
    });
    await expect(noMesh.revoke("pc1", "@op:example.org")).rejects.toThrow(
      "the mesh is not configured — add the mesh: section back to revoke a WireGuard device",
    );
    expect(world.snapshot()).toEqual(before);
  });
});

test("a repair run releases its SSH connection, as an add does", async () => {
  const world = World.create();
  await world.live("pc1");
  expect(world.net.openSessions()).toEqual([]);
  const again = await world.add("pc1", "pc1.lan");
  expect(again.kind).toBe("already_live");
  expect(world.net.sessions.length).toBeGreaterThan(1);
  expect(world.net.openSessions()).toEqual([]);
});

test("a host key another live device relies on is never unpinned by a revoke or a forget", async () => {
  const world = World.create();
  await world.live("pc1");
  const web = await world.add("web", "pc1.lan", { via: "ssh" });
  expect(web.kind).toBe("added");
  const pin = world.hostKeys.get("pc1.lan:22");
  expect(pin).toBeDefined();
  const result = await world.revoke("pc1");
  expect(result).toMatchObject({ kind: "revoked", left: [] });
  if (result.kind === "revoked")
    expect(result.done).toContain("marked revoked (host key kept: another device uses it)");
  expect(world.hostKeys.get("pc1.lan:22")).toBe(pin);
  expect(world.revoker.forget("pc1")).toContain("host key of ana@pc1.lan kept (another device uses it)");
  expect(world.hostKeys.get("pc1.lan:22")).toBe(pin);
  const last = await world.revoke("web");
  if (last.kind === "revoked") expect(last.done).toContain("marked revoked, host key unpinned");
  expect(world.hostKeys.get("pc1.lan:22")).toBeUndefined();
});
