import { readAgentSecret } from "../../../../state/agent-secret";
import type { WgAddData } from "../../../../provisioning/run-data";
import { linuxTarget } from "../../../../provisioning/targets/linux";
import { disposeWorlds, World } from "../support/world";

afterEach(disposeWorlds);

const LAYOUT = linuxTarget.layout("/home/ana");

describe("!add-pc --via wg on a simulated Linux PC", () => {
  test("the happy path: live row, hub peer, tunnel, agent, files, room, hello, journal completed", async () => {
    const world = World.create();
    const pc = world.machine({ host: "pc1.lan" });
    const result = await world.add("pc1", "pc1.lan");

    if (result.kind !== "added") throw new Error(JSON.stringify(result));
    const data = result.data as WgAddData;
    expect(world.devices.get("pc1")).toMatchObject({
      backend: "wg",
      status: "live",
      ssh_user: "ana",
      ssh_host: "pc1.lan",
      ssh_port: 22,
      os: "linux",
      arch: "amd64",
      os_pretty: "Debian GNU/Linux 12 (bookworm)",
      mesh_ip: "10.77.0.2",
      agent_user_id: "@agent-pc1:example.org",
      room_id: data.roomId,
    });
    expect(JSON.parse(world.devices.get("pc1")!.manifest!)).toMatchObject({
      paths_allowed: ["/home/ana/**", "/tmp/**"],
    });
    expect(world.hostKeys.get("pc1.lan:22")).toBe(pc.hostKey);

    // The hub: the peer in the running interface and in its saved file, with the device's key.
    expect(world.hub.running.get(data.publicKey!)).toMatchObject({ ip: "10.77.0.2" });
    expect(world.hub.saved.get("pc1")).toEqual({ publicKey: data.publicKey, ip: "10.77.0.2" });

    // The PC: the tunnel up with the keys the hub knows, the agent running from its unit with the bot's secret.
    expect(pc.tunnel).toMatchObject({
      ifname: "mesh0",
      conf: { address: "10.77.0.2", publicKey: data.publicKey, hubPublicKey: world.hub.keys.publicKey },
    });
    expect(pc.tunnel!.conf.presharedKey).toBe(world.hub.running.get(data.publicKey!)!.psk);
    const secret = readAgentSecret(world.stateDir, "pc1");
    expect(pc.agent).toEqual({
      binary: LAYOUT.binary,
      listen: "10.77.0.2",
      port: 7700,
      secret,
      by: "systemd",
    });
    expect(pc.serviceEnabled).toBe(true);
    expect([...pc.files.keys()].sort()).toEqual(
      [
        "/etc/wireguard/mesh0.conf",
        LAYOUT.binary,
        LAYOUT.config,
        LAYOUT.manifest,
        LAYOUT.secret,
        LAYOUT.supervisor,
        LAYOUT.unit,
      ].sort(),
    );
    expect(pc.files.get(LAYOUT.secret)!.mode).toBe(0o600);
    expect(pc.files.get("/etc/wireguard/mesh0.conf")!.mode).toBe(0o600);
    await expect(world.net.agentHealthy("10.77.0.2", secret)).resolves.toBe(true);

    // Matrix: the agent user, its room with the operator invited, the hello in it.
    expect(world.matrix.users.get("pc1")).toEqual({ displayName: "agent-pc1", retired: false });
    const room = world.matrix.rooms.get(data.roomId!)!;
    expect(world.matrix.aliases.get("#device-pc1:example.org")).toBe(data.roomId);
    expect([...room.members]).toEqual([
      ["@agent-pc1:example.org", "join"],
      ["@you:example.org", "invite"],
    ]);
    expect(room.messages).toEqual([
      {
        sender: "@agent-pc1:example.org",
        text: expect.stringContaining("on the mesh at 10.77.0.2") as string,
      },
    ]);

    // The journal: nine steps done, the run completed, and no private or preshared key in it.
    const run = world.journal.run(result.outcome.runId)!;
    expect(run).toMatchObject({ pipeline: "add-wg", state: "completed", steps_total: 9 });
    expect(world.journal.steps(run.id).map((s) => `${s.idx} ${s.state}`)).toEqual(
      [1, 2, 3, 4, 5, 6, 7, 8, 9].map((i) => `${i} done`),
    );
    expect(run.data).not.toContain(pc.tunnel!.conf.privateKey);
    expect(run.data).not.toContain(pc.tunnel!.conf.presharedKey);
    expect(world.progress.map((e) => `${e.index} ${e.status}`)).toEqual(
      [1, 2, 3, 4, 5, 6, 7, 8, 9].flatMap((i) => [`${i} running`, `${i} done`]),
    );

    expect(pc.unknown).toEqual([]);
    expect(world.net.openSessions()).toEqual([]);
  });

  test("root on a PC without systemd or WireGuard: wireguard-tools installed, the agent under the supervisor in /root", async () => {
    const world = World.create();
    const pc = world.machine({
      host: "box.lan",
      user: "root",
      init: "none",
      wireguard: false,
      packageManager: "dnf",
    });
    const result = await world.add("box", "box.lan");

    expect(result.kind).toBe("added");
    expect(pc.wireguard).toBe(true);
    expect(pc.history.some((h) => h.command.endsWith("$SUDO dnf install -y wireguard-tools"))).toBe(true);
    const layout = linuxTarget.layout("/root");
    expect(pc.agent).toMatchObject({ binary: layout.binary, listen: "10.77.0.2", by: "supervisor" });
    expect(pc.read(layout.pidfile)).toBe("4242\n");
    expect(pc.files.has(layout.unit)).toBe(false);
    expect(pc.serviceEnabled).toBe(false);
    expect(pc.unknown).toEqual([]);
  });

  test("an ARM PC gets the arm64 build", async () => {
    const world = World.create();
    const pc = world.machine({ host: "pi.lan", arch: "aarch64" });
    await world.add("pi", "pi.lan");
    expect(world.devices.get("pi")).toMatchObject({ status: "live", arch: "arm64" });
    expect(pc.read(LAYOUT.binary)).toContain("device agent linux-arm64");
  });
});

describe("refused before anything is touched", () => {
  test.each(["pc1-", "pc1\n", "pc1 x", "PC1"])(
    "the name %j: a sentence, and no SSH connection",
    async (name) => {
      const world = World.create();
      world.machine({ host: "pc1.lan" });
      await expect(world.add(name, "pc1.lan")).rejects.toThrow(/is not a valid device name/);
      expect(world.net.attempts).toBe(0);
      expect(world.devices.list()).toEqual([]);
    },
  );
});

describe("the same command for a live device", () => {
  test("says already_live, and only read-only checks reach the PC, the hub and Matrix", async () => {
    const world = World.create();
    await world.live("pc1");
    const pc = world.net.machines.get("pc1.lan")!;
    const before = world.snapshot();
    const mark = {
      pc: pc.history.length,
      hub: world.hub.changes.length,
      matrix: world.matrix.changes.length,
    };

    const again = await world.add("pc1", "pc1.lan");

    expect(again.kind).toBe("already_live");
    expect(pc.history.length).toBeGreaterThan(mark.pc);
    expect(pc.changesSince(mark.pc)).toEqual([]);
    expect(world.hub.changes.slice(mark.hub)).toEqual([]);
    expect(world.matrix.changes.slice(mark.matrix)).toEqual([]);
    expect(world.snapshot()).toEqual(before);
    expect(world.journal.latestFor("pc1")).toMatchObject({ pipeline: "repair-wg", state: "completed" });
    expect(world.net.openSessions()).toEqual([]);
  });

  test("an add that failed and was rolled back can simply be run again", async () => {
    const world = World.create();
    world.machine({ host: "pc1.lan" });
    world.hub.fail("addPeer");
    expect((await world.add("pc1", "pc1.lan")).kind).toBe("failed");
    expect((await world.add("pc1", "pc1.lan")).kind).toBe("added");
    expect(world.devices.get("pc1")!.status).toBe("live");
  });
});
