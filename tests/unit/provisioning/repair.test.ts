import type { AddResult } from "../../../provisioning/service";
import { wgAddDataSchema } from "../../../provisioning/run-data";
import { linuxTarget } from "../../../provisioning/targets/linux";
import { readAgentSecret } from "../../../state/agent-secret";
import { Hang } from "./support/hang";
import type { FakeMachine } from "./support/machine";
import { disposeWorlds, World } from "./support/world";

afterEach(disposeWorlds);

const LAYOUT = linuxTarget.layout("/home/ana");
const CONF = "/etc/wireguard/mesh0.conf";

async function liveDevice() {
  const world = World.create();
  await world.live("other");
  await world.live("pc1");
  const pc = world.net.machines.get("pc1.lan")!;
  return { world, pc, key: pc.tunnel!.conf.publicKey, healthy: world.snapshot() };
}

function repaired(result: AddResult) {
  if (result.kind !== "repaired") throw new Error(`expected a repair, got ${JSON.stringify(result)}`);
  return result.report;
}

interface Piece {
  what: string;
  break: (w: World, pc: FakeMachine, key: string) => void;
  step: string;
  problem: string;
  action: string | RegExp;
  /** The tunnel's private key was lost with it: new keys, swapped at the hub. */
  newKeys?: boolean;
}

const pieces: Piece[] = [
  {
    what: "the hub lost the peer",
    break: (w, _pc, key) => (w.hub.running.delete(key), w.hub.saved.delete("pc1")),
    step: "enrolling the peer at the hub",
    problem: "the hub has no peer for it",
    action: "peer enrolled again with new keys",
    newKeys: true,
  },
  {
    what: "the tunnel is down",
    break: (_w, pc) => (pc.tunnel = undefined),
    step: "installing WireGuard and bringing the tunnel up",
    problem: "the tunnel is down or its config is missing",
    action: "tunnel brought up",
  },
  {
    what: "the tunnel config is gone (and the tunnel with it)",
    break: (_w, pc) => (pc.files.delete(CONF), (pc.tunnel = undefined)),
    step: "installing WireGuard and bringing the tunnel up",
    problem: "the tunnel is down or its config is missing",
    action: "tunnel set up again with new keys",
    newKeys: true,
  },
  {
    what: "the agent's config, manifest and secret are gone",
    break: (_w, pc) => pc.removeTree(LAYOUT.configDir),
    step: "installing the device agent",
    problem: `missing on the device: ${LAYOUT.config}, ${LAYOUT.manifest}, ${LAYOUT.secret}`,
    action: /^linux-amd64, already on the device \(same SHA-256\), nothing sent$/,
  },
  {
    what: "the agent's executable is gone",
    break: (_w, pc) => pc.removeTree("/home/ana/.local/share/meshpilot"),
    step: "installing the device agent",
    problem: `missing on the device: ${LAYOUT.binary}, ${LAYOUT.supervisor}`,
    action: /^linux-amd64, \d+\.\d MB sent \(gzip of \d+\.\d MB\)$/,
  },
  {
    what: "the agent does not answer",
    break: (_w, pc) => (pc.agent = undefined),
    step: "starting the agent",
    problem: "the agent does not answer /health",
    action: /^handshake \d s ago, \/health ok$/,
  },
  {
    what: "the agent left its room",
    break: (w) => w.matrix.kickAgent("pc1"),
    step: "creating the agent user and its room",
    problem: "agent-pc1 is not in its room",
    action: "agent back in its room",
  },
  {
    what: "the operator left the room",
    break: (w) =>
      w.matrix.rooms.get(w.devices.get("pc1")!.room_id!)!.members.set("@you:example.org", "leave"),
    step: "creating the agent user and its room",
    problem: "@you:example.org not in the room",
    action: "re-invited @you:example.org",
  },
];

describe("!add-pc for a live device with a broken piece repairs that piece, and only it", () => {
  test.each(pieces)("$what", async (piece) => {
    const { world, pc, key, healthy } = await liveDevice();
    piece.break(world, pc, key);

    const report = repaired(await world.add("pc1", "pc1.lan"));

    expect(report).toEqual({
      repaired: [
        { step: piece.step, problem: piece.problem, action: expect.stringMatching(piece.action) as string },
      ],
      failed: [],
    });
    const run = world.journal.latestFor("pc1")!;
    expect(run).toMatchObject({ pipeline: "repair-wg", state: "completed" });
    const secret = readAgentSecret(world.stateDir, "pc1");
    await expect(world.net.agentHealthy("10.77.0.3", secret)).resolves.toBe(true);
    if (piece.newKeys) {
      const now = pc.tunnel!.conf.publicKey;
      expect(now).not.toBe(key);
      expect(world.hub.snapshot()).toEqual({
        running: expect.arrayContaining([`${now} 10.77.0.3`]) as string[],
        saved: expect.arrayContaining([`pc1 ${now} 10.77.0.3`]) as string[],
      });
      expect(world.hub.running.has(key)).toBe(false);
      expect(world.hub.running.size).toBe(2);
      // The repair's journal is the device's description now: a revoke removes the new peer.
      expect(wgAddDataSchema.parse(JSON.parse(world.journal.latestKnown("pc1")!.data)).publicKey).toBe(now);
    } else {
      expect(world.snapshot()).toEqual(healthy);
    }

    const afterRepair = world.snapshot();
    const seen = pc.history.length;
    expect((await world.add("pc1", "pc1.lan")).kind).toBe("already_live");
    expect(pc.changesSince(seen)).toEqual([]);
    expect(world.snapshot()).toEqual(afterRepair);
    expect(world.net.openSessions()).toEqual([]);
  });

  test("two broken pieces at once: both repaired, in pipeline order", async () => {
    const { world, pc, healthy } = await liveDevice();
    pc.tunnel = undefined;
    pc.agent = undefined;
    const report = repaired(await world.add("pc1", "pc1.lan"));
    expect(report.repaired.map((r) => r.step)).toEqual([
      "installing WireGuard and bringing the tunnel up",
      "starting the agent",
    ]);
    expect(world.snapshot()).toEqual(healthy);
  });

  test("after new keys, a revoke removes the peer the repair enrolled", async () => {
    const { world, pc } = await liveDevice();
    pc.files.delete(CONF);
    pc.tunnel = undefined;
    repaired(await world.add("pc1", "pc1.lan"));
    await world.revoke("pc1");
    expect(world.hub.running.size).toBe(1);
    expect(world.hub.saved.has("pc1")).toBe(false);
  });

  test("a device that cannot be reached is reported, and nothing of it is torn down", async () => {
    const { world, pc, healthy } = await liveDevice();
    pc.reachable = false;
    const report = repaired(await world.add("pc1", "pc1.lan"));
    expect(report.repaired).toEqual([]);
    expect(report.failed.map((f) => f.step)).toEqual([
      "installing WireGuard and bringing the tunnel up",
      "installing the device agent",
    ]);
    expect(report.failed[0]!.reason).toMatch(/^cannot reach ana@pc1\.lan \(ECONNREFUSED\)/);
    expect(world.snapshot()).toEqual(healthy);
    expect(world.devices.get("pc1")!.status).toBe("live");
  });
});

describe("a repair killed half-way", () => {
  test("is finished at the next start from its journal: the device is whole again", async () => {
    const { world, pc, healthy } = await liveDevice();
    pc.tunnel = undefined;
    pc.agent = undefined;
    const hang = new Hang();
    pc.hangAfter(/wg-quick up/, hang);
    await hang.stuck(world.add("pc1", "pc1.lan"));
    const run = world.journal.active("pc1")!;
    expect(run.pipeline).toBe("repair-wg");
    expect(world.journal.steps(run.id).map((s) => `${s.name} ${s.state}`)).toEqual([
      "enrolling the peer at the hub done",
      "installing WireGuard and bringing the tunnel up doing",
    ]);

    const next = world.restart();
    const [recovered] = await next.engine.recover(next.pipelineFor);
    expect(recovered).toMatchObject({ run: run.id, pipeline: "repair-wg", action: "finished" });
    expect(recovered!.steps.filter((s) => s.ok && s.detail).map((s) => s.step)).toEqual([
      "starting the agent",
    ]);
    expect(next.snapshot()).toEqual(healthy);
    expect((await next.add("pc1", "pc1.lan")).kind).toBe("already_live");
  });
});

describe("an SSH-only device", () => {
  test("whose agent left its room gets it back; a second run says already_live", async () => {
    const world = World.create();
    await world.live("srv", {}, "ssh");
    const healthy = world.snapshot();
    world.matrix.kickAgent("srv");
    const report = repaired(await world.add("srv", "srv.lan", { via: "ssh" }));
    expect(report.repaired).toEqual([
      {
        step: "creating the agent user and its room",
        problem: "agent-srv is not in its room",
        action: "agent back in its room",
      },
    ]);
    expect(world.journal.latestFor("srv")).toMatchObject({ pipeline: "repair-ssh", state: "completed" });
    expect(world.snapshot()).toEqual(healthy);
    expect((await world.add("srv", "srv.lan", { via: "ssh" })).kind).toBe("already_live");
  });
});
