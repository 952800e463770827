import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import type { LabFacts } from "../../../lab/facts";

/** The lab's NAT-like PC (pull and bundle enrollment): no sshd, so tests reach it with nsenter. */
export const PC4 = "pc4";

/** A command on pc4 (its network and mounts), as its admin user — like a person at its terminal — or as root. */
export function onPc4(
  facts: LabFacts,
  command: string,
  asUser = true,
): Promise<{ code: number; out: string }> {
  const host = facts.hosts[PC4]!;
  const pid = readFileSync(host.holderPid!, "utf8").trim();
  const inner = asUser
    ? ["runuser", "-u", host.adminUser!, "--", "sh", "-c", command]
    : ["sh", "-c", command];
  return new Promise((resolve, reject) => {
    const child = spawn("nsenter", ["-t", pid, "-m", "-n", "--", ...inner], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    child.stderr.on("data", (c: Buffer) => (out += c.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, out }));
  });
}

/** pc4 without the tunnel, the agent and its files (and `alsoRemove`, shell globs under /home). */
export function cleanPc4(facts: LabFacts, alsoRemove: string[] = []): Promise<unknown> {
  return onPc4(
    facts,
    `wg-quick down mesh0 >/dev/null 2>&1; rm -f /etc/wireguard/mesh0.conf; pkill -f '/[m]eshpilot/(supervise|device-agent)'; rm -rf /home/*/.local/share/meshpilot /home/*/.config/meshpilot /home/*/.local/state/meshpilot ${alsoRemove.join(" ")}; true`,
    false,
  );
}
