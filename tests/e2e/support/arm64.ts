import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { readEnv } from "../../../common/env";
import { readLabFacts, type LabFacts } from "../../../lab/facts";
import { describeLab } from "./lab";
import { agentProcesses } from "./wg-state";

/**
 * The lab's arm64 host (lab/arm64/lab-hook.sh): namespace "pi", a Debian 12 arm64 rootfs
 * with its own sshd running under qemu-aarch64, reached by the bot as ssh_hosts alias
 * "pi-admin" (lucas, passwordless sudo). Its disk is the unpacked rootfs under the lab dir.
 */
export const ARM64_HOST = "pi";
export const ARM64_ALIAS = "pi-admin";

/**
 * describeLab for the arm64 host. A lab without "pi" (brought up with MESHPILOT_LAB_ARM64=0,
 * or before lab/up.sh called arm64_lab_up) skips the suite with a pointer — except under
 * CI=true, where it fails: no real-component test may skip itself there.
 */
export function describeArm64Lab(name: string, body: (lab: () => LabFacts) => void): void {
  const facts = readLabFacts();
  if (facts && !facts.hosts[ARM64_HOST] && !readEnv().ci) {
    describe.skip(`${name} (the lab has no arm64 host: lab/up.sh must call arm64_lab_up)`, () =>
      body(() => facts));
    return;
  }
  describeLab(name, (lab) => {
    beforeAll(() => {
      if (!lab().hosts[ARM64_HOST])
        throw new Error(
          `the lab has no arm64 host "${ARM64_HOST}" in lab.json: lab/up.sh must call arm64_lab_up (lab/arm64/lab-hook.sh), and MESHPILOT_LAB_ARM64 must not be 0`,
        );
    });
    body(lab);
  });
}

/** The root filesystem of the arm64 host, as seen from this machine. */
export function arm64Rootfs(facts: LabFacts): string {
  return join(facts.labDir, "hosts", ARM64_HOST, "rootfs");
}

/** The SHA-256 of the arm64 agent build the bot uploads (dist/agent/SHA256SUMS). */
export function localArm64AgentSha256(facts: LabFacts): string {
  const sums = readFileSync(join(facts.repo, "dist/agent/SHA256SUMS"), "utf8");
  const line = sums.split("\n").find((l) => l.endsWith(" device-agent-linux-arm64"));
  if (!line)
    throw new Error("dist/agent/SHA256SUMS has no device-agent-linux-arm64: run npm run build:agent");
  return line.split(/\s+/)[0]!;
}

/** Everything of meshpilot's on the arm64 host: files, the tunnel, agent processes. Empty means clean. */
export function tracesOnArm64Host(facts: LabFacts, user: string): string[] {
  const root = arm64Rootfs(facts);
  const traces: string[] = [];
  const wgDir = join(root, "etc", "wireguard");
  if (existsSync(wgDir)) traces.push(...readdirSync(wgDir).map((f) => `/etc/wireguard/${f}`));
  for (const rel of [".local/share/meshpilot", ".config/meshpilot", ".local/state/meshpilot"]) {
    if (existsSync(join(root, "home", user, rel))) traces.push(`~${user}/${rel}`);
  }
  if (spawnSync("ip", ["-n", ARM64_HOST, "link", "show", facts.mesh.interface]).status === 0)
    traces.push(`interface ${facts.mesh.interface}`);
  traces.push(...agentProcesses(ARM64_HOST).map((pid) => `device-agent process ${pid}`));
  return traces;
}

/** The ELF machine of a file on the arm64 host's disk: "aarch64" for the arm64 build. */
export function elfMachine(path: string): string {
  return execFileSync("file", ["-b", path], { encoding: "utf8" }).includes("ARM aarch64")
    ? "aarch64"
    : "other";
}
