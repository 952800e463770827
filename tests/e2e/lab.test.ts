import { execFileSync } from "node:child_process";
import { describeLab } from "./support/lab";

/** The lab's hosts are what later tests rely on: separate machines reachable over SSH. */
describeLab("the real-parts lab", (lab) => {
  const sshFromHub = (host: string, user: string, command: string): string => {
    const facts = lab();
    return execFileSync(
      "ip",
      [
        ...["netns", "exec", "hub", "ssh", "-i", facts.botSshKey, "-o", "BatchMode=yes"],
        ...["-o", `UserKnownHostsFile=${facts.knownHosts}`, "-o", "StrictHostKeyChecking=yes"],
        `${user}@${facts.hosts[host]!.ip}`,
        command,
      ],
      { encoding: "utf8", timeout: 20_000 },
    );
  };

  test("each PC answers SSH with the bot's key, under its own pinned host key", () => {
    const facts = lab();
    // The first address is the LAN one; a mesh address follows when a test left a tunnel up.
    expect(sshFromHub("pc1", facts.hosts.pc1!.adminUser!, "hostname -I").trim().split(" ")[0]).toBe(
      facts.hosts.pc1!.ip,
    );
    expect(sshFromHub("pc2", facts.hosts.pc2!.viewerUser!, "hostname -I").trim().split(" ")[0]).toBe(
      facts.hosts.pc2!.ip,
    );
    const keys = execFileSync("cut", ["-d", " ", "-f", "3", facts.knownHosts], { encoding: "utf8" })
      .trim()
      .split("\n");
    expect(new Set(keys).size).toBe(keys.length);
  });

  test("PCs have their own /home and /etc/wireguard, like separate machines", () => {
    const facts = lab();
    const user = facts.hosts.pc1!.adminUser!;
    const marker = `only-on-pc1-${Date.now()}`;
    sshFromHub("pc1", user, `touch ~/${marker} && sudo -n touch /etc/wireguard/${marker}`);
    try {
      expect(sshFromHub("pc1", user, `ls ~ && sudo -n ls /etc/wireguard`).split(marker)).toHaveLength(3);
      expect(sshFromHub("pc2", user, `ls ~ && sudo -n ls /etc/wireguard`)).not.toContain(marker);
      expect(execFileSync("ls", ["/etc/wireguard"], { encoding: "utf8" })).not.toContain(marker);
    } finally {
      sshFromHub("pc1", user, `rm -f ~/${marker} && sudo -n rm -f /etc/wireguard/${marker}`);
    }
  });

  test("the admin user has sudo on pc1, the viewer on pc2 has none", () => {
    const facts = lab();
    expect(sshFromHub("pc1", facts.hosts.pc1!.adminUser!, "sudo -n id -u").trim()).toBe("0");
    expect(() => sshFromHub("pc2", facts.hosts.pc2!.viewerUser!, "sudo -n true 2>/dev/null")).toThrow();
  });

  test("wireguard-go brings up an interface inside a PC, with the same name free on every PC", () => {
    const facts = lab();
    const user = facts.hosts.pc1!.adminUser!;
    const up =
      "sudo -n env WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD=1 wireguard-go labtest0 && sudo -n wg show labtest0 && echo UP";
    try {
      expect(sshFromHub("pc1", user, up)).toContain("UP");
      expect(sshFromHub("pc2", user, up)).toContain("UP");
    } finally {
      for (const pc of ["pc1", "pc2"]) sshFromHub(pc, user, "sudo -n ip link del labtest0 2>/dev/null; true");
    }
  });
});
