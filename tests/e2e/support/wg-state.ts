import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { LabFacts } from "../../../lab/facts";
import { devicesInFile } from "../../../provisioning/wg/hub-config";

/** Public keys of the hub's running peers (the test runs in the hub namespace, beside it). */
export function hubPeers(facts: LabFacts): string[] {
  return execFileSync("wg", ["show", facts.mesh.interface, "peers"], { encoding: "utf8" })
    .trim()
    .split("\n")
    .filter(Boolean);
}

export function hubHandshakes(facts: LabFacts): Map<string, number> {
  const out = execFileSync("wg", ["show", facts.mesh.interface, "latest-handshakes"], { encoding: "utf8" });
  return new Map(
    out
      .trim()
      .split("\n")
      .filter(Boolean)
      .map((l) => [l.split(/\s+/)[0]!, Number(l.split(/\s+/)[1])]),
  );
}

export function hubFileDevices(facts: LabFacts): string[] {
  return devicesInFile(readFileSync(facts.mesh.hubConfig, "utf8"));
}

/** Everything of meshpilot's on a PC: files, the tunnel, agent processes. Empty means clean. */
export function tracesOnPc(facts: LabFacts, pc: string, user: string): string[] {
  const host = facts.hosts[pc]!;
  const dir = join(facts.labDir, "hosts", pc);
  const traces: string[] = [];
  const wgFiles = existsSync(join(dir, "etc-wireguard")) ? readdirSync(join(dir, "etc-wireguard")) : [];
  traces.push(...wgFiles.map((f) => `/etc/wireguard/${f}`));
  for (const rel of [
    ".local/share/meshpilot",
    ".config/meshpilot",
    ".local/state/meshpilot",
    ".config/systemd/user/meshpilot-agent.service",
  ]) {
    if (existsSync(join(host.home!, user, rel))) traces.push(`~${user}/${rel}`);
  }
  if (spawnSync("ip", ["-n", host.netns, "link", "show", facts.mesh.interface]).status === 0)
    traces.push(`interface ${facts.mesh.interface}`);
  traces.push(...agentProcesses(pc).map((pid) => `device-agent process ${pid}`));
  return traces;
}

export function agentProcesses(netns: string): string[] {
  const pids = execFileSync("ip", ["netns", "pids", netns], { encoding: "utf8" })
    .trim()
    .split("\n")
    .filter(Boolean);
  return pids.filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("device-agent");
    } catch {
      return false;
    }
  });
}

/** Every file under the PC's private disk (home and /etc/wireguard), with size and mtime. */
export function pcFiles(facts: LabFacts, pc: string): string[] {
  const dir = join(facts.labDir, "hosts", pc);
  return execFileSync("find", [join(dir, "home"), join(dir, "etc-wireguard"), "-printf", "%p %s %T@\\n"], {
    encoding: "utf8",
  })
    .trim()
    .split("\n")
    .filter((l) => !l.includes("/.local/state/meshpilot/")) // the agent's own log and audit grow as it runs
    .sort();
}
