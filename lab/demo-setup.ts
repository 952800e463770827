import { execFileSync } from "node:child_process";
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseDocument } from "yaml";
import type { LabFacts } from "./facts";
import { devicesInFile, removePeerBlock } from "../provisioning/wg/hub-config";

export const DEMO_MODEL_KEY = "sk-standin-demo-0123456789";

/**
 * The demo's bot config: the lab's, with a model section pointing at the local Messages
 * API stand-in, and health timers short enough to see an alert in seconds.
 */
export function writeDemoConfig(facts: LabFacts, modelUrl: string): string {
  const doc = parseDocument(readFileSync(facts.botConfig, "utf8"));
  const keyFile = join(facts.labDir, "secrets", "llm-key-demo");
  writeFileSync(keyFile, DEMO_MODEL_KEY);
  chmodSync(keyFile, 0o600);
  doc.set("llm", {
    api_key_file: keyFile,
    base_url: modelUrl,
    retries: 1,
    retry_base_ms: 100,
    request_timeout_s: 20,
  });
  doc.set("health", { interval_s: 3, stale_after_s: 170, probe_timeout_s: 2, probe_retries: 1 });
  const file = join(facts.labDir, "meshpilot-demo.yaml");
  writeFileSync(file, doc.toString());
  return file;
}

/** pc1 and pc2 without meshpilot, and the hub without peers, as on a first day. */
export function cleanHosts(facts: LabFacts): void {
  for (const pc of ["pc1", "pc2"]) {
    const host = facts.hosts[pc]!;
    execFileSync(
      "ssh",
      [
        ...["-i", facts.botSshKey, "-o", "BatchMode=yes", "-o", `UserKnownHostsFile=${facts.knownHosts}`],
        `${host.adminUser}@${host.ip}`,
        `sudo -n wg-quick down ${facts.mesh.interface} 2>/dev/null; sudo -n rm -f /etc/wireguard/${facts.mesh.interface}.conf; pkill -u "$(id -u)" -f '/[m]eshpilot/(supervise|device-agent)'; rm -rf ~/.local/share/meshpilot ~/.config/meshpilot ~/.local/state/meshpilot; true`,
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
  }
  let conf = readFileSync(facts.mesh.hubConfig, "utf8");
  for (const device of devicesInFile(conf)) conf = removePeerBlock(conf, device);
  writeFileSync(facts.mesh.hubConfig, conf, { mode: 0o600 });
  const peers = execFileSync("wg", ["show", facts.mesh.interface, "peers"], { encoding: "utf8" });
  for (const peer of peers.split("\n").filter(Boolean))
    execFileSync("wg", ["set", facts.mesh.interface, "peer", peer, "remove"]);
}

/** Runs a command on pc1 as its admin, over the lab's SSH. */
export function onPc1(facts: LabFacts, command: string): void {
  const host = facts.hosts.pc1!;
  execFileSync(
    "ssh",
    [
      ...["-i", facts.botSshKey, "-o", "BatchMode=yes", "-o", `UserKnownHostsFile=${facts.knownHosts}`],
      `${host.adminUser}@${host.ip}`,
      command,
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
}
