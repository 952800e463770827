import { enrollCommand } from "../../../../bot/commands/enroll";
import type { CommandContext } from "../../../../bot/commands/types";
import type { Reply } from "../../../../bot/reply";
import { BundleWatcher } from "../../../../provisioning/bundle/watch";
import type { PullService } from "../../../../provisioning/pull/service";
import { Revoker } from "../../../../provisioning/revoke";
import { HostKeyStore } from "../../../../ssh/host-keys";
import { BundleWorld, disposeBundleWorlds } from "./support";

afterEach(disposeBundleWorlds);

function watcher(world: BundleWorld): BundleWatcher {
  return new BundleWatcher({
    ...world.deps(),
    engine: world.engine(),
    journal: world.journal,
    tell: () => undefined,
    log: world.log,
    intervalMs: 1000,
  });
}

describe("bundles in !enroll and !revoke", () => {
  test("!enroll lists a pending bundle apart from links, and cancel rolls it back", async () => {
    const world = new BundleWorld();
    await world.bundle("pcb1");
    const said: string[] = [];
    const ctx = {
      sender: "@op:example.org",
      reply: (r: Reply) => Promise.resolve(String(said.push(r.body))),
    } as unknown as CommandContext;
    const pull = { pending: () => world.enrollments.pending(), cancel: () => 0 } as unknown as PullService;
    const command = enrollCommand({ pull, bundles: watcher(world) });
    await command.run(ctx, { positionals: {}, flags: {} });
    expect(said[0]).toMatch(
      /^Pending bundles \(finished when the PC's first handshake arrives\):\npcb1 — bundle, linux\/amd64, by cli:root, expires in 60 min$/,
    );
    await command.run(ctx, { positionals: { action: "cancel", name: "pcb1" }, flags: {} });
    expect(said[1]).toContain("Cancelled the bundle for pcb1");
    expect(world.devices.get("pcb1")).toBeUndefined();
    await command.run(ctx, { positionals: {}, flags: {} });
    expect(said[2]).toBe("No pending enrollment links or bundles.");
  });

  test("!revoke of a bundled device removes the hub side and names the uninstall command on the PC", async () => {
    const world = new BundleWorld();
    const { data } = await world.bundle("pcb1");
    world.shaken.add(data.publicKey!);
    await watcher(world).tick();
    expect(world.devices.get("pcb1")?.status).toBe("live");
    const deps = world.deps();
    const revoker = new Revoker({
      devices: world.devices,
      journal: world.journal,
      engine: world.engine(),
      hostKeys: new HostKeyStore(world.db),
      matrix: world.matrix,
      stateDir: world.stateDir,
      wg: {
        ...deps,
        hostKeys: new HostKeyStore(world.db),
        connect: () => Promise.reject(new Error("a bundled PC is never connected to")),
        log: world.log,
      },
      defaultKeyFile: undefined,
      closePooled: () => undefined,
      now: () => new Date(),
      log: world.log,
    });
    const result = await revoker.revoke("pcb1", "@op:example.org");
    expect(result.kind).toBe("revoked");
    if (result.kind !== "revoked") return;
    expect(result.left).toEqual([
      expect.stringContaining(
        "run on the PC: sudo sh /home/ana/.local/share/meshpilot/uninstall.sh",
      ) as string,
    ]);
    expect(world.hub.running.size).toBe(0);
    expect(world.devices.get("pcb1")).toMatchObject({ status: "revoked", mesh_ip: null });
  });
});
