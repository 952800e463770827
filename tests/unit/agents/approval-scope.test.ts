import { GrantStore } from "../../../agents/approval-grants";
import {
  durationText,
  scopeKey,
  scopeOf,
  scopeText,
  type ApprovalScope,
} from "../../../agents/approval-scope";
import type { ApprovalNeed } from "../../../capabilities/types";
import type { CallClass } from "../../../common/policy/types";
import { openDatabase } from "../../../state/db";
import { BOT_MIGRATIONS } from "../../../state/migrations";

const need = (callClass: CallClass, needed = true): ApprovalNeed => ({ needed, callClass, reason: "test" });
const PC1 = { name: "pc1", created_at: 1000, os: "linux" };
const PC2 = { name: "pc2", created_at: 1000, os: "linux" };
/** pc1 revoked and added again: same name, another device. */
const PC1_AGAIN = { name: "pc1", created_at: 2000, os: "linux" };
const WIN = { name: "win1", created_at: 1000, os: "windows" };

type Call = [device: typeof PC1, tool: string, input: Record<string, unknown>, need: ApprovalNeed];
const scope = (...[device, tool, input, n]: Call): ApprovalScope => {
  const s = scopeOf(device, tool, input, n);
  if (!s) throw new Error(`no scope for ${tool}`);
  return s;
};

describe("session grant scopes", () => {
  test("the scope of a call: device, tool, the policy's class, and argv[0] for argv tools", () => {
    expect(scope(PC1, "shell.exec", { argv: ["systemctl", "restart", "nginx"] }, need("change"))).toEqual({
      device: "pc1",
      deviceSince: 1000,
      tool: "shell.exec",
      callClass: "change",
      program: "systemctl",
    });
    expect(scope(PC1, "fs.write", { path: "/a", content: "x" }, need("change"))).toEqual({
      device: "pc1",
      deviceSince: 1000,
      tool: "fs.write",
      callClass: "change",
      program: null,
    });
    // Windows names a program without ".exe" and case, as its policy table does.
    expect(scope(WIN, "shell.exec", { argv: ["SC.EXE", "stop", "x"] }, need("change")).program).toBe("sc");
  });

  test("no scope is offered for a call that needs no approval or whose argv[0] is not a bare name", () => {
    expect(scopeOf(PC1, "fs.read", { path: "/a" }, need("read", false))).toBeUndefined();
    for (const argv of [[], [""], ["/usr/bin/systemctl"], ["../x"], [42], "systemctl", ["a b"]])
      expect(scopeOf(PC1, "shell.exec", { argv }, need("change"))).toBeUndefined();
  });

  // Each row: the call a grant was made for, and a call it must NOT cover.
  const neverWidens: Array<[string, Call, Call]> = [
    [
      "another program, same class",
      [PC1, "shell.exec", { argv: ["systemctl", "restart", "nginx"] }, need("change")],
      [PC1, "shell.exec", { argv: ["kill", "-9", "1"] }, need("change")],
    ],
    [
      "same program, another class",
      [PC1, "shell.exec", { argv: ["systemctl", "restart", "nginx"] }, need("change")],
      [PC1, "shell.exec", { argv: ["systemctl", "edit", "nginx"] }, need("run")],
    ],
    [
      "a run grant for one program, a run call of another",
      [PC1, "shell.exec", { argv: ["git", "pull"] }, need("run")],
      [PC1, "shell.exec", { argv: ["make"] }, need("run")],
    ],
    [
      "a program whose name starts like the granted one",
      [PC1, "shell.exec", { argv: ["systemctl", "restart", "x"] }, need("change")],
      [PC1, "shell.exec", { argv: ["systemctl2", "restart", "x"] }, need("change")],
    ],
    [
      "fs.write, then proc.kill (same class)",
      [PC1, "fs.write", { path: "/a", content: "x" }, need("change")],
      [PC1, "proc.kill", { pid: 1 }, need("change")],
    ],
    [
      "the same program through another tool",
      [PC1, "shell.exec", { argv: ["systemctl", "restart", "x"] }, need("change")],
      [PC1, "ssh_exec", { argv: ["systemctl", "restart", "x"] }, need("change")],
    ],
    [
      "a capability grant does not cover shell.exec",
      [PC1, "shell.eval", { command: "ls" }, need("run")],
      [PC1, "shell.exec", { argv: ["shell.eval"] }, need("run")],
    ],
    [
      "device A, then device B",
      [PC1, "fs.write", { path: "/a", content: "x" }, need("change")],
      [PC2, "fs.write", { path: "/a", content: "x" }, need("change")],
    ],
    [
      "a device revoked and added again under the same name",
      [PC1, "fs.write", { path: "/a", content: "x" }, need("change")],
      [PC1_AGAIN, "fs.write", { path: "/a", content: "x" }, need("change")],
    ],
    [
      "a change grant, then a run call of the same capability",
      [PC1, "pkg.install", { packages: ["x"] }, need("change")],
      [PC1, "pkg.install", { packages: ["x"] }, need("run")],
    ],
  ];

  test.each(neverWidens)("never widens: %s", (_what, granted, other) => {
    const grants = new GrantStore(openDatabase(":memory:", BOT_MIGRATIONS), () => 5_000);
    grants.create(scope(...granted), "@op:x", "!r", "$card", 60_000);
    expect(grants.covering(scope(...other))).toBeUndefined();
    expect(scopeKey(scope(...other))).not.toBe(scopeKey(scope(...granted)));
    // …and the grant covers what it was made for, with other arguments.
    const [device, tool, input, n] = granted;
    const otherArgs = Array.isArray(input.argv)
      ? { argv: [...(input.argv as string[]), "--now"] }
      : { ...input, extra: "y" };
    expect(grants.covering(scope(device, tool, otherArgs, n))?.scope).toEqual(scope(...granted));
  });

  test("what the card and notices say a scope is", () => {
    expect(scopeText(scope(PC1, "shell.exec", { argv: ["systemctl", "x"] }, need("change")))).toBe(
      "change calls of systemctl through shell.exec on pc1",
    );
    expect(scopeText(scope(PC1, "fs.write", { path: "/a" }, need("change")))).toBe("fs.write calls on pc1");
    expect([45, 119, 900, 7200, 5400].map(durationText)).toEqual([
      "45 s",
      "119 s",
      "15 min",
      "2 h",
      "90 min",
    ]);
  });
});
