import { execFileSync, spawnSync } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { readAgentSecret } from "../../../../state/agent-secret";
import { sha256 } from "../support/tunnel-conf";
import { BundleWorld, disposeBundleWorlds, publicKeyOf } from "./support";

afterEach(disposeBundleWorlds);

describe("meshpilot bundle: the archive", () => {
  test("holds every file with its mode; the scripts parse; the key matches the hub's peer; the agent is the build's", async () => {
    const world = new BundleWorld();
    const { outcome, data } = await world.bundle("pcb1");
    expect(outcome.ok).toBe(true);
    expect(statSync(data.out).mode & 0o777).toBe(0o600);
    const folder = join(world.unpack(data.out), "meshpilot-pcb1");
    const modes = Object.fromEntries(
      readdirSync(folder).map((f) => [f, (statSync(join(folder, f)).mode & 0o777).toString(8)]),
    );
    expect(modes).toEqual({
      "README.txt": "644",
      "install.sh": "700",
      "uninstall.sh": "700",
      "device-agent": "700",
      "mesh0.conf": "600",
      "agent.secret": "600",
      "agent.yaml": "600",
      "manifest.yaml": "600",
      "meshpilot-agent.service": "600",
      "supervise.sh": "600",
    });
    for (const shell of ["sh", "bash", "dash"].filter((s) => spawnSync("which", [s]).status === 0))
      for (const script of ["install.sh", "uninstall.sh"])
        expect(spawnSync(shell, ["-n", join(folder, script)]).status).toBe(0);
    // The tunnel's private key is the one whose public half the hub has as pcb1's peer.
    const conf = readFileSync(join(folder, "mesh0.conf"), "utf8");
    const privateKey = /^PrivateKey = (\S+)$/m.exec(conf)![1]!;
    expect(publicKeyOf(privateKey)).toBe(data.publicKey);
    expect(world.hub.saved.get("pcb1")).toEqual({ publicKey: data.publicKey, ip: "10.77.0.2" });
    expect(conf).toContain(`PresharedKey = ${world.hub.running.get(data.publicKey!)!.psk}`);
    expect(readFileSync(join(folder, "agent.secret"), "utf8").trim()).toBe(
      readAgentSecret(world.stateDir, "pcb1"),
    );
    const agent = readFileSync(join(folder, "device-agent"));
    expect(readFileSync(join(world.agentDir, "SHA256SUMS"), "utf8")).toContain(
      `${sha256(agent)}  device-agent-linux-amd64`,
    );
    // install.sh is commands only: no key, no secret in it; it checks the agent's SHA-256.
    const install = readFileSync(join(folder, "install.sh"), "utf8");
    expect(install).not.toContain(privateKey);
    expect(install).not.toContain(readAgentSecret(world.stateDir, "pcb1"));
    expect(install).toContain(sha256(agent));
    expect(install).not.toContain("curl");
    expect(install).toContain('< "$MP_DIR"/mesh0.conf');
    expect(install).toContain("if [ -d /run/systemd/system ]; then");
    // The journal and the bot's state never hold the private or preshared key.
    const journal = JSON.stringify(world.journal.latestKnown("pcb1"));
    expect(journal).not.toContain(privateKey);
    expect(journal).not.toContain(world.hub.running.get(data.publicKey!)!.psk);
    // The row is held, the bundle pending.
    expect(world.devices.get("pcb1")).toMatchObject({ status: "provisioning", mesh_ip: "10.77.0.2" });
    expect(world.enrollments.pendingBundles()).toMatchObject([
      { name: "pcb1", kind: "bundle", public_key: data.publicKey },
    ]);
    const readme = readFileSync(join(folder, "README.txt"), "utf8");
    expect(readme).toContain("KEEP THIS FOLDER SECRET");
    expect(readme).toContain("sudo sh install.sh");
    expect(readme).toContain("sudo sh /home/ana/.local/share/meshpilot/uninstall.sh");
    expect(execFileSync("tar", ["-tzvf", data.out], { encoding: "utf8" })).toContain(" 0/0 ");
  });

  test("a macOS bundle has the launchd plist and no systemd branch", async () => {
    const world = new BundleWorld();
    const { outcome, data } = await world.bundle("pcb2", { os: "darwin", arch: "arm64" });
    expect(outcome.ok).toBe(true);
    const folder = join(world.unpack(data.out), "meshpilot-pcb2");
    expect(readdirSync(folder)).toContain("org.meshpilot.agent.plist");
    const install = readFileSync(join(folder, "install.sh"), "utf8");
    expect(install).not.toContain("/run/systemd/system");
    expect(install).toContain("shasum -a 256");
    expect(spawnSync("sh", ["-n", join(folder, "install.sh")]).status).toBe(0);
  });
});
