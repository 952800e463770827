import { parseFault } from "../../../provisioning/engine";
import { Hang, HangingEngine } from "./support/hang";
import type { FakeMachine } from "./support/machine";
import { disposeWorlds, World, type ProcessOptions } from "./support/world";

afterEach(disposeWorlds);

/** A bot with one live device, a new host srv.lan (user svc, home /var/lib/svc), and that state. */
async function startState(arrange: (w: World, m: FakeMachine) => void = () => undefined) {
  const world = World.create();
  await world.live("other");
  const srv = world.machine({ host: "srv.lan", user: "svc", home: "/var/lib/svc" });
  arrange(world, srv);
  return { world, srv, start: world.snapshot() };
}

async function addSsh(world: World, options: ProcessOptions = {}) {
  return world.restart(options).add("srv", "srv.lan", { via: "ssh" });
}

describe("!add-pc --via ssh", () => {
  test("pins the host key, reads the home from the account database, and changes nothing on the host", async () => {
    const { world, srv } = await startState();
    const seen = srv.history.length;
    const result = await world.add("srv", "srv.lan", { via: "ssh" });

    expect(result.kind).toBe("added");
    const row = world.devices.get("srv")!;
    expect(row).toMatchObject({
      backend: "ssh",
      status: "live",
      ssh_user: "svc",
      ssh_host: "srv.lan",
      os: "linux",
      arch: "x86_64",
      mesh_ip: null,
    });
    expect(JSON.parse(row.manifest!)).toMatchObject({
      user: "svc",
      home: "/var/lib/svc",
      pathsAllowed: ["/var/lib/svc/**", "/var/log/**", "/tmp/**"],
    });
    expect(world.hostKeys.get("srv.lan:22")).toBe(srv.hostKey);
    expect(srv.history.slice(seen).map((h) => h.kind)).toEqual(["read", "read"]);
    expect(srv.history.at(-1)!.command).toBe("getent passwd -- svc");
    expect(srv.snapshot()).toEqual({ files: [], tunnel: null, agent: null, serviceEnabled: false });
    const room = world.matrix.rooms.get(row.room_id!)!;
    expect(room.topic).toBe("meshpilot agent for srv — SSH-only, read-only (svc@srv.lan)");
    expect(room.messages[0]!.text).toMatch(
      /^Hello! I'm agent-srv, the agent for srv \(Debian GNU\/Linux 12 \(bookworm\), x86_64\), reached over SSH as svc@srv\.lan\./,
    );
    if (result.kind === "added")
      expect(world.journal.steps(result.outcome.runId).map((s) => s.state)).toEqual([
        "done",
        "done",
        "done",
        "done",
      ]);
    expect(world.net.openSessions()).toEqual([]);
  });

  test("root's home is /root, not /home/root", async () => {
    const world = World.create();
    world.machine({ host: "srv.lan", user: "root" });
    await world.add("srv", "srv.lan", { via: "ssh" });
    expect(JSON.parse(world.devices.get("srv")!.manifest!)).toMatchObject({ home: "/root" });
  });
});

describe("an SSH-only add that fails at step k ends in the start state", () => {
  test.each([1, 2, 3, 4])("the engine's fail:%i fault", async (k) => {
    const { world, start } = await startState();
    const result = await addSsh(world, { faults: parseFault(`fail:add-ssh:${k}`) });
    expect(result).toMatchObject({ kind: "failed", outcome: { failed: { index: k }, undoFailures: [] } });
    expect(world.snapshot()).toEqual(start);
  });

  test.each([
    { k: 2, what: "the host does not answer", arrange: (_w: World, m: FakeMachine) => (m.reachable = false) },
    {
      k: 2,
      what: "the host key changed since it was pinned",
      arrange: (w: World, m: FakeMachine) => (w.hostKeys.pin("srv.lan:22", m.hostKey), m.changeHostKey()),
    },
    {
      k: 3,
      what: "the homeserver refuses the room",
      arrange: (w: World) => w.matrix.fail("createDeviceRoom"),
    },
    { k: 4, what: "the hello cannot be posted", arrange: (w: World) => w.matrix.fail("postAsAgent") },
  ])("step $k: $what", async ({ k, arrange }) => {
    const { world, start } = await startState(arrange);
    const result = await addSsh(world);
    expect(result).toMatchObject({ kind: "failed", outcome: { failed: { index: k }, undoFailures: [] } });
    expect(world.snapshot()).toEqual(start);
  });
});

async function crashAndRecover(k: number, crash: (w: World, m: FakeMachine, h: Hang) => World) {
  const { world, srv, start } = await startState();
  const hang = new Hang();
  await hang.stuck(crash(world, srv, hang).add("srv", "srv.lan", { via: "ssh" }));
  const run = world.journal.active("srv")!;
  expect(world.journal.steps(run.id).at(-1)).toMatchObject({ idx: k, state: "doing" });
  const next = world.restart();
  expect(await next.engine.recover(next.pipelineFor)).toEqual([
    expect.objectContaining({ pipeline: "add-ssh", action: "rolled_back", undoFailures: [] }),
  ]);
  return { next, start };
}

const afterDo = (k: number) => (w: World, _m: FakeMachine, hang: Hang) =>
  w.restart({
    engine: (journal, log) => new HangingEngine(journal, log, { pipeline: "add-ssh", step: k, hang }),
  });

describe("an SSH-only add killed at step k is rolled back at the next start", () => {
  test.each([
    {
      k: 2,
      what: "reading the home, once the key is pinned",
      arm: (_w: World, m: FakeMachine, h: Hang) => m.hangAfter(/^getent/, h),
    },
    {
      k: 3,
      what: "registering the agent user",
      arm: (w: World, _m: FakeMachine, h: Hang) => w.matrix.hangAfter("ensureAgentUser", h),
    },
    {
      k: 4,
      what: "posting the hello",
      arm: (w: World, _m: FakeMachine, h: Hang) => w.matrix.hangAfter("postAsAgent", h),
    },
  ])("inside step $k: $what", async ({ k, arm }) => {
    const { next, start } = await crashAndRecover(k, (w, m, h) => (arm(w, m, h), w));
    expect(next.snapshot()).toEqual(start);
  });

  test.each([2, 4])("after step %i's do", async (k) => {
    const { next, start } = await crashAndRecover(k, afterDo(k));
    expect(next.snapshot()).toEqual(start);
  });

  // The same two crash windows as the wg add (see wg/add-crash.test.ts): the claim, the room id.
  test.each([1, 3])("after step %i's do", async (k) => {
    const { next, start } = await crashAndRecover(k, afterDo(k));
    expect(next.snapshot()).toEqual(start);
  });
});
