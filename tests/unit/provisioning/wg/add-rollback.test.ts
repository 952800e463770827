import { parseFault } from "../../../../provisioning/engine";
import type { FakeMachine, MachineSpec } from "../support/machine";
import { disposeWorlds, World, type ProcessOptions } from "../support/world";

afterEach(disposeWorlds);

/** A bot with one live device (which no rollback may touch) and a new PC, pc1.lan; and that state. */
async function startState(spec: Partial<MachineSpec> = {}, arrange?: (w: World, pc: FakeMachine) => void) {
  const world = World.create();
  await world.live("other");
  const pc = world.machine({ host: "pc1.lan", ...spec });
  arrange?.(world, pc);
  return { world, pc, start: world.snapshot() };
}

/** The add in a bot process with these options, then what must hold after any rollback. */
async function addAndExpectRollback(world: World, step: number, options: ProcessOptions = {}) {
  const bot = world.restart(options);
  const result = await bot.add("pc1", "pc1.lan");
  if (result.kind !== "failed") throw new Error(`expected a failure, got ${JSON.stringify(result)}`);
  expect(result.outcome.failed!.index).toBe(step);
  expect(result.outcome.undoFailures).toEqual([]);
  expect(bot.journal.run(result.outcome.runId)!.state).toBe("rolled_back");
  expect(bot.net.openSessions()).toEqual([]);
  return { bot, result, reason: result.outcome.failed!.reason };
}

describe("a wg add that fails after step k is rolled back to the start state", () => {
  test.each([1, 2, 3, 4, 5, 6, 7, 8, 9])("the engine's fail:%i fault", async (k) => {
    const { world, pc, start } = await startState();
    const { bot, result } = await addAndExpectRollback(world, k, { faults: parseFault(`fail:add-wg:${k}`) });
    expect(bot.snapshot()).toEqual(start);
    // Every step that ran was undone, newest first.
    expect(bot.journal.steps(result.outcome.runId).map((s) => `${s.idx} ${s.state}`)).toEqual(
      Array.from({ length: k }, (_, i) => `${i + 1} undone`),
    );
    expect(pc.unknown).toEqual([]);
  });
});

type Arrange = (w: World, pc: FakeMachine) => void;
interface Failure {
  k: number;
  what: string;
  spec: Partial<MachineSpec>;
  arrange: Arrange;
  reason: RegExp;
  options?: ProcessOptions;
}
const failures: Failure[] = [
  {
    k: 1,
    what: "the name is held by a row that no run owns",
    spec: {},
    arrange: (w) => void w.devices.claim("pc1", "wg"),
    reason: /^pc1 is already a WireGuard device — it is being added right now$/,
  },
  {
    k: 2,
    what: "the PC does not answer SSH",
    spec: {},
    arrange: (_w, pc) => (pc.reachable = false),
    reason: /^cannot reach ana@pc1\.lan \(ECONNREFUSED\)/,
  },
  {
    k: 2,
    what: "the PC is riscv64",
    spec: { arch: "riscv64" },
    arrange: () => undefined,
    reason: /^pc1 is Linux on riscv64, and there is no device agent/,
  },
  {
    k: 2,
    what: "the user cannot sudo",
    spec: { sudo: false },
    arrange: () => undefined,
    reason: /^ana cannot use sudo without a password on pc1/,
  },
  {
    k: 4,
    what: "the hub refuses the peer",
    spec: {},
    arrange: (w) => w.hub.fail("addPeer"),
    reason: /^adding the peer at the hub failed/,
  },
  {
    k: 4,
    what: "the hub took the peer but could not save its config file",
    spec: {},
    arrange: (w) => w.hub.fail("addPeer", "fail-after"),
    reason: /^saving the hub's WireGuard config failed/,
  },
  {
    k: 5,
    what: "wg-quick up fails after the config is installed",
    spec: {},
    arrange: (_w, pc) => pc.failOn(/wg-quick up/, "RTNETLINK answers: Operation not supported"),
    reason:
      /^bringing the tunnel up failed on ana@pc1\.lan \(exit 1: RTNETLINK answers: Operation not supported\)$/,
  },
  {
    k: 5,
    what: "no WireGuard and no package manager",
    spec: { wireguard: false, packageManager: "none" },
    arrange: () => undefined,
    reason: /^WireGuard is not installed on ana@pc1\.lan and no package manager was found/,
  },
  {
    k: 6,
    what: "the upload arrives corrupted",
    spec: {},
    arrange: (_w, pc) => pc.corruptNextUpload(),
    reason: /does not match its checksum/,
  },
  {
    k: 6,
    what: "the disk fills up half-way through the agent's files",
    spec: {},
    arrange: (_w, pc) => pc.failOn(/agent\.yaml\.tmp/, "No space left on device"),
    reason: /^writing \/home\/ana\/\.config\/meshpilot\/agent\.yaml failed .*No space left on device/,
  },
  {
    k: 7,
    what: "systemd cannot start the service",
    spec: {},
    arrange: (_w, pc) => pc.failOn(/systemctl --user restart/, "Failed to start meshpilot-agent.service"),
    reason: /^starting the agent's service failed/,
  },
  {
    k: 7,
    what: "the agent exits at once, so /health never answers",
    spec: {},
    arrange: (_w, pc) => (pc.agentCrashes = true),
    reason: /^the tunnel is up but the agent on 10\.77\.0\.3 did not answer \/health within 1 s/,
    options: { mesh: { ready_timeout_s: 1 } },
  },
  {
    k: 8,
    what: "the agent user cannot be registered",
    spec: {},
    arrange: (w) => w.matrix.fail("ensureAgentUser"),
    reason: /^internal error/,
  },
  {
    k: 8,
    what: "the homeserver refuses to create the room",
    spec: {},
    arrange: (w) => w.matrix.fail("createDeviceRoom"),
    reason: /^internal error/,
  },
  {
    k: 9,
    what: "the hello cannot be posted",
    spec: {},
    arrange: (w) => w.matrix.fail("postAsAgent"),
    reason: /^internal error/,
  },
];

describe("a wg add whose step k fails for real is rolled back to the start state", () => {
  test.each(failures)("step $k: $what", async ({ k, spec, arrange, reason, options }) => {
    const { world, pc, start } = await startState(spec, arrange);
    const { bot, reason: said } = await addAndExpectRollback(world, k, options);
    expect(said).toMatch(reason);
    expect(bot.snapshot()).toEqual(start);
    expect(pc.unknown).toEqual([]);
  });

  test("step 3: a full mesh subnet is a sentence, and nothing is left", async () => {
    const world = World.create({ mesh: { subnet: "10.77.0.0/30" } });
    await world.live("other");
    world.machine({ host: "pc1.lan" });
    const start = world.snapshot();
    const { bot, reason } = await addAndExpectRollback(world, 3, { mesh: { subnet: "10.77.0.0/30" } });
    expect(reason).toBe("the mesh subnet 10.77.0.0/30 is full — revoke a device or widen mesh.subnet");
    expect(bot.snapshot()).toEqual(start);
  });

  test("a refused PC is only looked at: no command that changes anything ran on it", async () => {
    const { world, pc } = await startState({ arch: "riscv64" });
    await addAndExpectRollback(world, 2);
    // The shell probe and the facts script: nothing else.
    expect(pc.history.map((h) => h.kind)).toEqual(["read", "read"]);
  });

  test("a host pinned before the add keeps its pin through a rollback; a changed key is refused", async () => {
    const { world, pc } = await startState({}, (w, m) => w.hostKeys.pin("pc1.lan:22", m.hostKey));
    await addAndExpectRollback(world, 5, { faults: parseFault("fail:add-wg:5") });
    expect(world.hostKeys.get("pc1.lan:22")).toBe(pc.hostKey);

    const pinned = pc.hostKey;
    pc.changeHostKey();
    const start = world.snapshot();
    const seen = pc.history.length;
    const { reason } = await addAndExpectRollback(world, 2);
    expect(reason).toMatch(
      /^the host key of ana@pc1\.lan has changed \(pinned SHA256:.*\) — refusing to connect/,
    );
    expect(world.hostKeys.get("pc1.lan:22")).toBe(pinned);
    expect(world.snapshot()).toEqual(start);
    expect(pc.history.length).toBe(seen);
  });

  test("the wireguard-tools package step 5 installed stays after a rollback (only config and tunnel are undone)", async () => {
    const { world, pc, start } = await startState({ wireguard: false });
    await addAndExpectRollback(world, 5, { faults: parseFault("fail:add-wg:5") });
    expect(world.snapshot()).toEqual(start);
    expect(pc.wireguard).toBe(true);
  });
});

describe("bugs these tests found, fixed", () => {
  /**
   * createRoom succeeded on the homeserver but its answer was lost (a timeout), so the run
   * never learned the room id; the undo calls removeDeviceRoom(name, undefined), which (as
   * bot/device-rooms.ts does) only drops the alias: the operator keeps an invite to an
   * orphan room. Fix: resolve the alias to its room before dropping it. When fixed, make
   * FakeMatrix.removeDeviceRoom do the same.
   */
  test("step 8: a room created whose answer was lost is removed by the rollback", async () => {
    const { world, start } = await startState({}, (w) => w.matrix.fail("createDeviceRoom", "fail-after"));
    const { bot } = await addAndExpectRollback(world, 8);
    expect(bot.snapshot()).toEqual(start);
  });
});
