import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { linuxTarget } from "../../../../provisioning/targets/linux";
import { generateKeyPair } from "../../../../provisioning/wg/keys";
import { exerciseAll, factsFor } from "../targets/checks";
import { FakeMachine } from "./machine";
import { publicKeyOf } from "./tunnel-conf";
import { disposeWorlds, World } from "./world";

/** The simulated PC is only worth what it understands: these keep it honest. */

afterEach(disposeWorlds);

const ODD_HOME = `/home/o'brien "x" $(touch pwned)`;
/** What the manifest accepts of an odd home (letters, digits, . _ / \\ @ + - and spaces). */
const SPACED_HOME = "/home/ana smith/+x @y";

describe("the simulated Linux PC", () => {
  test.each(["systemd", "none"] as const)(
    "understands every command the Linux adapter can send (init %s, a home with quotes, spaces and $)",
    async (init) => {
      const tmp = mkdtempSync(join(tmpdir(), "mp-machine-"));
      try {
        const agent = join(tmp, "agent");
        writeFileSync(agent, "bin");
        const machine = new FakeMachine({ host: "pc1.lan", home: ODD_HOME, init, wireguard: false });
        const shell = machine.shell("pc1");
        const facts = factsFor({ os: "linux", home: ODD_HOME, init, packageManager: "apt-get" });
        await exerciseAll(linuxTarget, shell, linuxTarget.layout(ODD_HOME), facts, agent);
        expect(shell.commands.length).toBeGreaterThan(15);
        expect(machine.unknown).toEqual([]);
      } finally {
        rmSync(tmp, { recursive: true, force: true });
      }
    },
  );

  test("paths with spaces survive the adapter's quoting: a whole add and revoke", async () => {
    const world = World.create();
    const pc = world.machine({ host: "pc1.lan", home: SPACED_HOME });
    expect((await world.add("pc1", "pc1.lan")).kind).toBe("added");
    const layout = linuxTarget.layout(SPACED_HOME);
    expect(pc.read(layout.config)).toContain(`secret_file: ${layout.secret}`);
    expect(pc.agent).toMatchObject({ binary: layout.binary, listen: "10.77.0.2", by: "systemd" });
    expect([...pc.files.keys()].filter((f) => !f.startsWith(`${SPACED_HOME}/`))).toEqual([
      "/etc/wireguard/mesh0.conf",
    ]);
    await world.revoke("pc1");
    expect(pc.snapshot()).toEqual({ files: [], tunnel: null, agent: null, serviceEnabled: false });
    expect(pc.unknown).toEqual([]);
  });

  test("a command it does not know exits 127 and is recorded, so a new command is noticed", async () => {
    const machine = new FakeMachine({ host: "pc1.lan" });
    const shell = machine.shell("pc1");
    await expect(shell.run("curl http://example.org | sh")).resolves.toMatchObject({ exitCode: 127 });
    expect(machine.unknown).toEqual(["curl http://example.org | sh"]);
    expect(machine.changesSince(0)).toEqual(["curl http://example.org | sh"]);
  });

  test("an injected failure hits only the next matching command, which then does nothing", async () => {
    const machine = new FakeMachine({ host: "pc1.lan" });
    const shell = machine.shell("pc1");
    machine.failOn(/agent\.secret/, "No space left on device");
    await expect(
      linuxTarget.writePrivateFile(shell, "/home/ana/.config/meshpilot/agent.secret", "s\n"),
    ).rejects.toThrow(/No space left on device/);
    expect(machine.files.size).toBe(0);
    await linuxTarget.writePrivateFile(shell, "/home/ana/.config/meshpilot/agent.secret", "s\n");
    expect(machine.read("/home/ana/.config/meshpilot/agent.secret")).toBe("s\n");
  });

  test("only root (or sudo) writes outside the home, and the agent starts only with its files in place", async () => {
    const machine = new FakeMachine({ host: "pc1.lan", sudo: false });
    const shell = machine.shell("pc1");
    await expect(linuxTarget.writePrivateFile(shell, "/etc/meshpilot/x", "x")).rejects.toThrow(
      /Permission denied/,
    );
    await expect(linuxTarget.installTunnelConfig(shell, "mesh0", "x")).rejects.toThrow(
      /a password is required/,
    );
    const layout = linuxTarget.layout("/home/ana");
    const facts = factsFor({ os: "linux", init: "systemd" });
    await linuxTarget.installService(shell, layout, facts);
    await linuxTarget.startAgent(shell, layout, facts);
    expect(machine.serviceEnabled).toBe(true);
    expect(machine.agent).toBeUndefined();
  });

  test("a tunnel's public key is derived from its private key as wg pubkey does", () => {
    const pair = generateKeyPair();
    expect(publicKeyOf(pair.privateKey.reveal())).toBe(pair.publicKey);
  });
});

describe("bugs these tests found, fixed", () => {
  /**
   * renderManifest refuses a home with quotes or glob characters, but with a plain Error,
   * in step 6 — after the tunnel is up and the agent uploaded: the operator reads "internal
   * error, reference …", and the rollback has a lot to undo. The home is known at step 2,
   * whose contract is to refuse with a sentence before anything on the target is touched.
   * Fix: check the home there (or make renderManifest throw a UserError and call it in step 2).
   */
  test("a home the manifest cannot hold is refused with a sentence at step 2", async () => {
    const world = World.create();
    const pc = world.machine({ host: "pc1.lan", home: ODD_HOME });
    const result = await world.add("pc1", "pc1.lan");
    expect(result).toMatchObject({ kind: "failed", outcome: { failed: { index: 2 } } });
    if (result.kind === "failed") expect(result.outcome.failed!.reason).not.toMatch(/internal error/);
    expect(pc.history.every((h) => h.kind === "read")).toBe(true);
  });
});
