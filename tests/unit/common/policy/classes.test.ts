/** Capability classes, the approval rule, and the grammar as text. */
import {
  approvalNeeded,
  capabilityClass,
  checkArgv,
  DEFAULT_APPROVAL_CLASSES,
  defaultReadPrograms,
  describePrograms,
  policyTable,
} from "../../../../common/policy";
import { CAPABILITY_NAMES } from "../../../../common/capabilities";

const LINUX = [...defaultReadPrograms("linux"), "systemctl"];

describe("capabilityClass", () => {
  it("gives every capability a class and a sentence", () => {
    for (const name of CAPABILITY_NAMES) {
      const input = name === "shell.exec" ? { argv: ["ls"] } : {};
      const v = capabilityClass("linux", LINUX, name, input);
      expect("callClass" in v && v.reason.length > 5).toBe(true);
    }
  });

  it("classes fixed capabilities as read, change or run", () => {
    const cls = (name: string): unknown => capabilityClass("linux", LINUX, name, {});
    expect(cls("fs.read")).toMatchObject({ callClass: "read" });
    expect(cls("proc.list")).toMatchObject({ callClass: "read" });
    expect(cls("fs.write")).toMatchObject({ callClass: "change" });
    expect(cls("proc.kill")).toMatchObject({ callClass: "change" });
    expect(cls("git.pull")).toMatchObject({ callClass: "run" });
    expect(cls("pkg.install")).toMatchObject({ callClass: "run" });
    expect(cls("shell.eval")).toEqual({
      callClass: "run",
      reason: "shell.eval runs a shell command line the policy cannot see into",
    });
    expect(cls("fs.delete")).toHaveProperty("refused");
    expect(cls("toString")).toHaveProperty("refused");
  });

  it("classes shell.exec by its argv", () => {
    expect(capabilityClass("linux", LINUX, "shell.exec", { argv: ["ls", "-la"] })).toEqual({
      callClass: "read",
      reason: "ls only reads",
    });
    expect(
      capabilityClass("linux", LINUX, "shell.exec", { argv: ["systemctl", "restart", "nginx"] }),
    ).toEqual({
      callClass: "change",
      reason: "systemctl restart changes a service's state",
    });
    expect(
      capabilityClass("linux", LINUX, "shell.exec", { argv: ["find", ".", "-exec", "sh", ";"] }),
    ).toHaveProperty("refused");
    expect(capabilityClass("linux", LINUX, "shell.exec", { argv: "ls -la" })).toHaveProperty("refused");
    expect(capabilityClass("linux", LINUX, "shell.exec", null)).toHaveProperty("refused");
  });

  it("never reads systemctl -p status <verb> as a read", () => {
    const v = checkArgv("linux", LINUX, ["systemctl", "-p", "status", "stop", "nginx"]);
    expect(v.ok ? v.callClass : "refused").not.toBe("read");
  });
});

describe("approvalNeeded", () => {
  it("asks for the listed classes and the listed capabilities", () => {
    expect(DEFAULT_APPROVAL_CLASSES).toEqual(["change", "run"]);
    const read = { callClass: "read" as const, reason: "ls only reads" };
    const change = { callClass: "change" as const, reason: "x" };
    expect(approvalNeeded(read, "shell.exec", DEFAULT_APPROVAL_CLASSES, [])).toBe(false);
    expect(approvalNeeded(change, "shell.exec", DEFAULT_APPROVAL_CLASSES, [])).toBe(true);
    expect(approvalNeeded(read, "fs.read", DEFAULT_APPROVAL_CLASSES, ["fs.read"])).toBe(true);
    expect(approvalNeeded(change, "fs.write", [], [])).toBe(false);
  });
});

describe("the grammar as text", () => {
  it("lists read-only programs by default, never systemctl", () => {
    const linux = defaultReadPrograms("linux");
    expect(linux).toEqual(expect.arrayContaining(["ls", "cat", "find", "grep", "journalctl", "ss", "ip"]));
    expect(linux).not.toContain("systemctl");
    expect(defaultReadPrograms("windows")).toEqual([
      "hostname",
      "whoami",
      "ipconfig",
      "systeminfo",
      "tasklist",
    ]);
    expect(defaultReadPrograms("darwin")).toContain("ls");
  });

  it("describes each allowed program on one line", () => {
    const lines = describePrograms("linux", ["ls", "systemctl", "rm"]);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^ls \[-l -a/);
    expect(lines.every((l) => !l.includes("\n"))).toBe(true);
    expect(describePrograms("windows", ["IPCONFIG.exe"])).toEqual(["ipconfig [/all]"]);
  });

  it("has a row per form with its class", () => {
    const rows = policyTable("linux");
    expect(rows.filter((r) => r.callClass === "change").map((r) => r.form.split(" ")[1])).toEqual([
      "start",
      "stop",
      "restart",
      "reload",
    ]);
    expect(rows.some((r) => r.program === "find" && r.callClass === "read")).toBe(true);
  });
});
