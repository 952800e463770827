import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { agentFixture, callAgent } from "./support";

/** Classes and approval on the device, and escapes through shell.exec: refused, audited, never run. */
describe("call classes and approval", () => {
  test("read calls run without approval; change and run calls are refused without it and run with it", async () => {
    const f = agentFixture({ approval: [], approvalClasses: ["change", "run"] });
    expect(await callAgent(f, { capability: "fs.list", args: { path: f.home } })).toMatchObject({
      status: "done",
      callClass: "read",
    });
    const target = join(f.home, "w.txt");
    const refused = await callAgent(f, { capability: "fs.write", args: { path: target, content: "x" } });
    expect(refused).toMatchObject({
      status: "refused",
      refusal: {
        code: "approval_required",
        message: expect.stringMatching(/change call \(fs\.write changes a file\)/) as string,
      },
    });
    expect(existsSync(target)).toBe(false);
    const evalRefused = await callAgent(f, { capability: "shell.eval", args: { command: "true" } });
    expect(evalRefused).toMatchObject({
      refusal: { code: "approval_required", message: expect.stringContaining("run call") as string },
    });
    const approved = await callAgent(f, {
      capability: "fs.write",
      args: { path: target, content: "x" },
      approvedBy: "@boss:x",
    });
    expect(approved).toMatchObject({ status: "done", callClass: "change", result: { ok: true } });
    expect(readFileSync(target, "utf8")).toBe("x");
  });

  test("approval_required still names capabilities that need an operator whatever their class", async () => {
    const f = agentFixture({ approval: ["fs.list"], approvalClasses: [] });
    expect(await callAgent(f, { capability: "fs.list", args: { path: f.home } })).toMatchObject({
      refusal: { code: "approval_required" },
    });
  });
});

describe("escapes through shell.exec", () => {
  const f = agentFixture({ approvalClasses: [] });
  const outside = join(f.root, "outside");
  mkdirSync(outside);
  writeFileSync(join(outside, "secret"), "TOP-SECRET");
  symlinkSync(outside, join(f.home, "out"));
  const marker = join(f.home, "ran");

  test.each<[string, string[]]>([
    ["find -exec", ["find", ".", "-exec", "sh", "-c", `touch ${marker}`, ";"]],
    ["find -execdir", ["find", ".", "-execdir", "touch", marker, ";"]],
    ["find -delete", ["find", ".", "-delete"]],
    ["a git alias", ["git", "-c", `alias.x=!touch ${marker}`, "x"]],
    ["git -c core.fsmonitor", ["git", "-c", `core.fsmonitor=touch ${marker}`, "status"]],
    ["an abbreviated long option", ["find", ".", "-exe", "touch", marker, ";"]],
    ["a program not allowed", ["sh", "-c", `touch ${marker}`]],
    ["a path to a program", ["/bin/sh", "-c", `touch ${marker}`]],
  ])("%s is refused, audited as a refusal, and nothing runs", async (_name, argv) => {
    const before = f.state.audit.head().count;
    const response = await callAgent(f, { capability: "shell.exec", args: { argv } });
    expect(response.status).toBe("refused");
    if (response.status !== "refused") return;
    expect(["invalid_input", "binary_not_allowed", "path_not_allowed"]).toContain(response.refusal.code);
    const rows = f.state.audit.entries(before, 10);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.refusal).toMatch(/^(invalid_input|binary_not_allowed|path_not_allowed): /);
    expect(existsSync(marker)).toBe(false);
  });

  test.each<[string, string[]]>([
    ["cat /etc/shadow", ["cat", "/etc/shadow"]],
    ["cat through a symlink out", ["cat", "out/secret"]],
    ["cat with .. out", ["cat", "../outside/secret"]],
    ["grep -r through a symlink", ["grep", "-r", "SECRET", "out"]],
    ["head of an absolute path outside", ["head", join(outside, "secret")]],
    ["a path after --", ["cat", "--", "../outside/secret"]],
  ])("%s: the path word is checked and refused", async (_name, argv) => {
    const response = await callAgent(f, { capability: "shell.exec", args: { argv } });
    expect(response).toMatchObject({ status: "refused", refusal: { code: "path_not_allowed" } });
    expect(JSON.stringify(response)).not.toContain("TOP-SECRET");
  });

  test("a word after -- is a path (checked and made absolute), never an option", async () => {
    writeFileSync(join(f.home, "-n"), "dash\n");
    const response = await callAgent(f, { capability: "shell.exec", args: { argv: ["cat", "--", "-n"] } });
    expect(response).toMatchObject({ status: "done", result: { ok: true, stdout: "dash\n" } });
    const missing = await callAgent(f, {
      capability: "shell.exec",
      args: { argv: ["ls", "--", "--color=always"] },
    });
    expect(missing).toMatchObject({
      status: "done",
      result: { ok: false, error: expect.stringContaining("does not exist") as string },
    });
  });

  test("path words inside are run with their checked real path", async () => {
    mkdirSync(join(f.home, "docs"));
    writeFileSync(join(f.home, "docs", "a.txt"), "hello\n");
    symlinkSync(join(f.home, "docs"), join(f.home, "docs-link"));
    const response = await callAgent(f, {
      capability: "shell.exec",
      args: { argv: ["cat", "docs-link/a.txt"] },
    });
    expect(response).toMatchObject({
      status: "done",
      callClass: "read",
      result: { ok: true, stdout: "hello\n" },
    });
  });

  test("a missing working directory is said as such, never as a missing program", async () => {
    const gone = join(f.home, "no-such-dir");
    const response = await callAgent(f, { capability: "shell.exec", args: { argv: ["ls"], cwd: gone } });
    expect(response).toMatchObject({
      status: "done",
      result: { ok: false, error: `the working directory ${gone} does not exist` },
    });
  });
});
