/* eslint-disable @typescript-eslint/no-unsafe-assignment -- jest's asymmetric matchers (expect.any, expect.stringContaining) are typed any */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { invoke, type CallRequest } from "../../../device-agent/invoke";
import { agentFixture } from "./support";

describe("a capability call", () => {
  const call = (f: ReturnType<typeof agentFixture>, request: Omit<CallRequest, "caller">) =>
    invoke(f.state.registry, f.state.ctx, f.state.audit, { caller: "@op:x", ...request });

  test("runs, and is audited as a call before and a result after", async () => {
    const f = agentFixture();
    const response = await call(f, { capability: "shell.exec", args: { argv: ["echo", "hi"] } });
    expect(response).toMatchObject({ status: "done", auditId: 1, result: { ok: true, stdout: "hi\n" } });
    const [callRow, resultRow] = f.state.audit.entries(0, 10);
    expect(callRow).toMatchObject({ kind: "call", capability: "shell.exec", caller: "@op:x", refusal: null });
    expect(JSON.parse(callRow!.args)).toEqual({ argv: ["echo", "hi"] });
    expect(resultRow).toMatchObject({ kind: "result", call_id: 1, exit_code: 0, bytes: 3 });
    expect(f.state.audit.verify()).toMatchObject({ ok: true, count: 2 });
  });

  test.each([
    ["unknown_capability", { capability: "fs.delete", args: {} }],
    ["invalid_input", { capability: "fs.read", args: { path: 3 } }],
    ["path_not_allowed", { capability: "fs.read", args: { path: "/etc/passwd" } }],
    ["binary_not_allowed", { capability: "shell.exec", args: { argv: ["rm", "-rf", "/"] } }],
    ["approval_required", { capability: "shell.eval", args: { command: "true" } }],
  ])("a refusal (%s) is returned with its reason and audited, and nothing runs", async (code, request) => {
    const f = agentFixture();
    const response = await call(f, request);
    expect(response).toMatchObject({ status: "refused", auditId: 1, refusal: { code } });
    const rows = f.state.audit.entries(0, 10);
    expect(rows).toHaveLength(1); // a call entry with the refusal, no result
    expect(rows[0]!.refusal).toMatch(new RegExp(`^${code}: `));
  });

  test("a disabled capability is refused", async () => {
    const f = agentFixture({ enabled: ["fs.read"], approval: [] });
    expect(await call(f, { capability: "fs.list", args: { path: f.home } })).toMatchObject({
      status: "refused",
      refusal: { code: "capability_disabled" },
    });
  });

  test("an approved call runs, and the audit says who approved", async () => {
    const f = agentFixture();
    const response = await call(f, {
      capability: "shell.eval",
      args: { command: "echo ok" },
      approvedBy: "@boss:x",
    });
    expect(response).toMatchObject({ status: "done", result: { ok: true } });
    expect(f.state.audit.entries(0, 1)[0]!.caller).toBe("@op:x (approved by @boss:x)");
  });

  test("when the call entry cannot be written, nothing runs", async () => {
    const f = agentFixture();
    f.db.exec("CREATE TRIGGER no_writes BEFORE INSERT ON audit BEGIN SELECT RAISE(ABORT, 'disk full'); END");
    const target = join(f.home, "should-not-exist.txt");
    const response = await call(f, { capability: "fs.write", args: { path: target, content: "x" } });
    expect(response).toMatchObject({
      status: "audit_unavailable",
      error: expect.stringContaining("nothing was run"),
    });
    expect(existsSync(target)).toBe(false);
  });

  test("fs.write is audited with a hash of the content, not the content", async () => {
    const f = agentFixture();
    const target = join(f.home, "w.txt");
    await call(f, { capability: "fs.write", args: { path: target, content: "top secret" } });
    expect(readFileSync(target, "utf8")).toBe("top secret");
    const args = f.state.audit.entries(0, 1)[0]!.args;
    expect(args).not.toContain("top secret");
    expect(JSON.parse(args)).toMatchObject({ bytes: 10, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });

  test("output is capped and marked truncated", async () => {
    const f = agentFixture({ approval: [] });
    const response = await call(f, { capability: "shell.eval", args: { command: "head -c 5000 /dev/zero" } });
    expect(response).toMatchObject({ status: "done", result: { truncated: true, bytes: 5000 } });
    expect(response.status === "done" && response.result.stdout).toHaveLength(1024);
  });

  test("a time limit ends the call with a plain error", async () => {
    const f = agentFixture({ approval: [] });
    const response = await call(f, {
      capability: "shell.eval",
      args: { command: "sleep 30", timeout_ms: 200 },
    });
    expect(response).toMatchObject({
      status: "done",
      result: { ok: false, error: expect.stringContaining("timed out") },
    });
  });

  test("a missing tool is a plain answer", async () => {
    const f = agentFixture();
    f.state.ctx.which = () => undefined;
    const response = await call(f, { capability: "docker.ps", args: {} });
    expect(response).toMatchObject({
      status: "done",
      result: { ok: false, error: "docker is not installed" },
    });
  });
});
