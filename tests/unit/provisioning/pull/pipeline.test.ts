import { Rendezvous, type Hello } from "../../../../provisioning/pull/rendezvous";
import { PullService } from "../../../../provisioning/pull/service";
import { factsFromHello } from "../../../../provisioning/pull/steps";
import { EnrollmentStore } from "../../../../provisioning/pull/tokens";
import { findAgentSecret } from "../../../../state/agent-secret";
import { disposeWorlds, World } from "../support/world";

afterEach(disposeWorlds);

const KEY = "xTIaFbKsmvOz1ktNYgAPXWSzSh8lG+GuhjhmzjYXvVk=";

function pullWorld(ttlS: number, approval?: { approved: boolean; by: string }) {
  const world = World.create({ mesh: { ready_timeout_s: 5 } });
  const enrollments = new EnrollmentStore(world.outside.db);
  const rendezvous = new Rendezvous();
  const pull = new PullService({
    engine: world.engine,
    devices: world.devices,
    ttlS,
    publicKeyOf: (name) => world.service.publicKeyOf(name),
    pull: {
      ...world.wg,
      enrollments,
      rendezvous,
      publicUrl: "https://enroll.example.org",
      approveFirst: approval !== undefined,
      askApproval: () => Promise.resolve(approval!),
    },
  });
  const hello = (os = "linux", arch = "x86_64"): Hello => ({
    publicKey: KEY,
    machineId: "ab".repeat(32),
    address: "203.0.113.7",
    facts: factsFromHello(
      `os=${os}\narch=${arch}\npretty=Debian 12\nhome=/home/ana\nuser=ana\nuid=1000\ninit=none\npm=apt-get\n`,
    )!,
  });
  return { world, enrollments, rendezvous, pull, hello };
}

/** The PC's side: arrives with its hello as soon as the run waits for it; resolves with the answer. */
async function pcArrives(w: ReturnType<typeof pullWorld>, hello: Hello) {
  const hash = w.enrollments.pending()[0]!.token_hash;
  for (;;) {
    const answer = w.rendezvous.arrive(hash, hello);
    if (answer) return { hash, answer: await answer };
    await new Promise((r) => setImmediate(r));
  }
}

describe("the add-pull run, with the test as the PC", () => {
  test("a link that expires while the PC installs rolls everything back: peer, IP, name, secret", async () => {
    const w = pullWorld(2);
    const prepared = w.pull.prepare({ name: "pc5", by: "@op:x" });
    const running = prepared.execute(() => undefined);
    const { answer } = await pcArrives(w, w.hello());
    expect(answer.ok).toBe(true);
    expect(w.world.hub.running.size).toBe(1);
    // The PC never reports: the link's time runs out mid-install.
    const result = await running;
    expect(result.kind).toBe("failed");
    if (result.kind !== "failed") return;
    expect(result.outcome.failed?.step).toBe("the PC installs the tunnel and the agent");
    expect(result.outcome.failed?.reason).toContain("expired while the PC was installing");
    expect(w.world.hub.running.size).toBe(0);
    expect(w.world.devices.get("pc5")).toBeUndefined();
    expect(findAgentSecret(w.world.stateDir, "pc5")).toBeUndefined();
  }, 15_000);

  test("a PC that is not the OS/arch of its link is told so, and nothing is enrolled", async () => {
    const w = pullWorld(60);
    const running = w.pull.prepare({ name: "pc6", by: "@op:x", arch: "amd64" }).execute(() => undefined);
    const { answer } = await pcArrives(w, w.hello("linux", "aarch64"));
    expect(answer).toEqual({
      ok: false,
      sentence:
        "this link is for linux/amd64 and the PC is linux/arm64 — ask for a new one with !add-pc pc6 --via pull --os linux --arch arm64",
    });
    expect((await running).kind).toBe("failed");
    expect(w.world.hub.running.size).toBe(0);
    expect(w.world.devices.get("pc6")).toBeUndefined();
  });

  test("approve_first: an operator's 👎 refuses the peer before it is enabled, and the PC hears who", async () => {
    const w = pullWorld(60, { approved: false, by: "@lucas:x" });
    const running = w.pull.prepare({ name: "pc7", by: "@op:x" }).execute(() => undefined);
    const { answer } = await pcArrives(w, w.hello());
    expect(answer).toEqual({ ok: false, sentence: "@lucas:x refused the enrollment of pc7" });
    expect((await running).kind).toBe("failed");
    expect(w.world.hub.running.size).toBe(0);
  });

  test("!enroll cancel: the waiting run rolls back and the link is dead; an enrolled device is untouched", async () => {
    const w = pullWorld(60);
    const running = w.pull.prepare({ name: "pc8", by: "@op:x" }).execute(() => undefined);
    await new Promise((r) => setTimeout(r, 20));
    expect(w.pull.cancel("pc8", "@op:x")).toBe(1);
    const result = await running;
    expect(result.kind).toBe("failed");
    expect(w.enrollments.pending()).toHaveLength(0);
    expect(w.world.devices.get("pc8")).toBeUndefined();
    expect(w.pull.cancel("pc8", "@op:x")).toBe(0);
  });

  test("bad requests change nothing: a bad name, an OS/arch without an agent, an SSH-only name", async () => {
    const w = pullWorld(60);
    expect(() => w.pull.prepare({ name: "Bad Name", by: "@op:x" })).toThrow(/name/);
    expect(() => w.pull.prepare({ name: "pc9", os: "darwin", arch: "amd64", by: "@op:x" })).toThrow(
      /no device agent for darwin\/amd64/,
    );
    await w.world.live("desk", {}, "ssh");
    expect(() => w.pull.prepare({ name: "desk", by: "@op:x" })).toThrow(/already an SSH-only device/);
    expect(w.enrollments.pending()).toHaveLength(0);
  });
});
