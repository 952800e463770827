import { execFileSync } from "node:child_process";
import type { LabFacts } from "../../../lab/facts";

/** Runs a command on a lab host over real SSH with the bot's key (for setting up and inspecting). */
export function sshAs(facts: LabFacts, host: string, user: string, command: string): string {
  return execFileSync(
    "ssh",
    [
      ...["-i", facts.botSshKey, "-o", "BatchMode=yes", "-o", `UserKnownHostsFile=${facts.knownHosts}`],
      `${user}@${facts.hosts[host]!.ip}`,
      command,
    ],
    { encoding: "utf8", timeout: 30_000 },
  );
}

/** Every file under a directory of the host's private disk, with size and mtime: a before/after snapshot. */
export function snapshot(dir: string): string[] {
  return execFileSync("find", [dir, "-printf", "%p %s %T@\\n"], { encoding: "utf8" })
    .trim()
    .split("\n")
    .sort();
}
