import { toolDefinition } from "../../../../capabilities/registry";
import { approvalClasses, wgTools, type AgentCall } from "../../../../capabilities/wg/provider";
import type { Manifest } from "../../../../device-agent/manifest/schema";
import { readManifestTemplate, renderManifest } from "../../../../device-agent/manifest/render";

const manifest = renderManifest(readManifestTemplate("linux"), { user: "lucas" }).manifest;
/** The template with no tool named in approval_required (only the classes decide), and its own programs. */
const byClass: Manifest = {
  ...manifest,
  shell: { binaries_allowed: ["ls", "cat", "find", "systemctl", "git"] },
  capabilities: { ...manifest.capabilities, approval_required: [], approval_classes: ["change", "run"] },
};

describe("the WireGuard provider", () => {
  const sent: unknown[] = [];
  const tools = (reply: Awaited<ReturnType<AgentCall>> | Error, m: Manifest = manifest) =>
    wgTools({
      manifest: m,
      call: (_method, _path, payload) => {
        sent.push(payload);
        return reply instanceof Error ? Promise.reject(reply) : Promise.resolve(reply);
      },
    });
  const byName = (reply: Awaited<ReturnType<AgentCall>> | Error, name: string, m: Manifest = manifest) =>
    tools(reply, m).find((t) => t.name === name)!;
  const done = {
    status: 200,
    body: {
      status: "done",
      auditId: 3,
      result: { ok: true, exitCode: 0, truncated: false, bytes: 2, data: { stdout: "ok", stderr: "" } },
    },
  };

  beforeEach(() => (sent.length = 0));

  test("one tool per enabled capability; each call's class and approval come from its exact input", () => {
    const all = tools({ status: 200, body: {} }, byClass);
    expect(all.map((t) => t.name)).toEqual(manifest.capabilities.enabled);
    const need = (name: string, input: Record<string, unknown>) =>
      all.find((t) => t.name === name)!.classify(input);
    expect(need("fs.read", { path: "/home/lucas/a" })).toEqual({
      needed: false,
      callClass: "read",
      reason: "fs.read only reads a file",
    });
    expect(need("fs.write", { path: "/home/lucas/a", content: "x" })).toEqual({
      needed: true,
      callClass: "change",
      reason: "fs.write changes a file",
    });
    expect(need("shell.eval", { command: "ls" })).toMatchObject({ needed: true, callClass: "run" });
    expect(need("shell.exec", { argv: ["ls", "-la", "/home/lucas"] })).toMatchObject({
      needed: false,
      callClass: "read",
    });
    expect(need("shell.exec", { argv: ["systemctl", "restart", "nginx"] })).toMatchObject({
      needed: true,
      callClass: "change",
    });
    expect(all.find((t) => t.name === "fs.list")!.inputSchema).toMatchObject({
      properties: { path: { type: "string" } },
    });
  });

  test("approval_required still names tools whose every call waits; approval_classes may be changed", () => {
    const required = tools(
      { status: 200, body: {} },
      {
        ...byClass,
        capabilities: { ...byClass.capabilities, approval_required: ["fs.read"], approval_classes: ["run"] },
      },
    );
    const need = (name: string, input: Record<string, unknown>) =>
      required.find((t) => t.name === name)!.classify(input);
    expect(need("fs.read", { path: "/tmp/a" }).needed).toBe(true);
    expect(need("fs.write", { path: "/tmp/a", content: "x" }).needed).toBe(false);
    expect(need("shell.eval", { command: "ls" }).needed).toBe(true);
    const { approval_classes: _dropped, ...older } = byClass.capabilities;
    expect(approvalClasses({ ...byClass, capabilities: older })).toEqual(["change", "run"]);
  });

  test("the tool descriptions say which calls wait, by class, and list shell.exec's forms", () => {
    const defs = new Map(
      tools({ status: 200, body: {} }, byClass).map((t) => [t.name, toolDefinition(t).description]),
    );
    expect(defs.get("fs.read")).toBe(
      "Read a file (text, or base64 when binary), up to a byte limit. Runs without waiting for an operator.",
    );
    expect(defs.get("fs.write")).toMatch(
      /Every call is a change call: it waits for an operator's approval\.$/,
    );
    expect(defs.get("shell.exec")).toContain(
      "read calls run at once, change and run calls wait for an operator's approval.",
    );
    expect(defs.get("shell.exec")).toContain("\nls [-l -a");
    expect(defs.get("shell.exec")).not.toContain("\ngit ");
  });

  test("a shell.exec read argv is sent at once; a change argv is sent only with its approval", async () => {
    const exec = byName(done, "shell.exec", byClass);
    expect(await exec.execute({ argv: ["ls", "/home/lucas"] }, { caller: "@op:x" })).toMatchObject({
      ok: true,
    });
    const restart = { argv: ["systemctl", "restart", "nginx"] };
    expect(await exec.execute(restart, { caller: "@op:x" })).toEqual({
      ok: false,
      refusal: "change calls of shell.exec need an operator's approval",
      output: "refused: change calls of shell.exec need an operator's approval",
    });
    expect(await exec.execute(restart, { caller: "@op:x", approvedBy: "@op:x" })).toMatchObject({ ok: true });
    expect(sent).toEqual([
      { capability: "shell.exec", args: { argv: ["ls", "/home/lucas"] }, caller: "@op:x" },
      { capability: "shell.exec", args: restart, caller: "@op:x", approved_by: "@op:x" },
    ]);
  });

  test.each([
    [["find", ".", "-exec", "sh", "-c", "id", ";"], /find -exec is not allowed/],
    [["git", "-c", "alias.x=!sh -c id", "x"], /^git (has no grammar|is not allowed)/],
    [["find", ".", "-execdir", "sh", ";"], /not allowed|refused/],
  ])(
    "a call the policy refuses (%j) asks no one and is never sent, even with an approval",
    async (argv, why) => {
      const exec = byName(done, "shell.exec", byClass);
      const need = exec.classify({ argv });
      expect(need.needed).toBe(false);
      expect(need.reason).toMatch(why);
      const result = await exec.execute({ argv }, { caller: "@op:x", approvedBy: "@op:x" });
      expect(result).toMatchObject({ ok: false, refusal: expect.stringMatching(why) as unknown });
      expect(sent).toEqual([]);
    },
  );

  test("a done call carries the listing, the audit id, and who approved", async () => {
    const tool = byName(
      {
        status: 200,
        body: {
          status: "done",
          auditId: 7,
          result: {
            ok: true,
            exitCode: 0,
            truncated: false,
            bytes: 0,
            data: {
              path: "/home/lucas",
              total: 1,
              entries: [{ name: "a.txt", type: "file", size: 3, mtime: "2026-01-02T03:04:05.000Z" }],
            },
          },
        },
      },
      "fs.list",
    );
    const result = await tool.execute({ path: "/home/lucas" }, { caller: "@op:x", approvedBy: "@op:x" });
    expect(result).toMatchObject({ ok: true, auditId: 7 });
    expect(result.output).toBe("/home/lucas: 1 entries\nfile             3  2026-01-02 03:04  a.txt");
    expect(sent).toEqual([
      { capability: "fs.list", args: { path: "/home/lucas" }, caller: "@op:x", approved_by: "@op:x" },
    ]);
  });

  test("a refusal found only at run time (the opened descriptor was outside) is a refusal too", async () => {
    const error = "refused: /home/lucas/box (really /etc) is outside the allowed paths: /home/lucas/**";
    const tool = byName(
      {
        status: 200,
        body: {
          status: "done",
          auditId: 12,
          result: { ok: false, exitCode: null, truncated: false, bytes: 0, error },
        },
      },
      "fs.read",
    );
    expect(await tool.execute({ path: "/home/lucas/box/f" }, { caller: "@op:x" })).toEqual({
      ok: false,
      refusal: "/home/lucas/box (really /etc) is outside the allowed paths: /home/lucas/**",
      output: error,
      auditId: 12,
    });
  });

  test("a refusal is a refusal, with the device's reason", async () => {
    const tool = byName(
      {
        status: 403,
        body: {
          status: "refused",
          auditId: 9,
          refusal: { code: "path_not_allowed", message: "/etc is outside paths_allowed" },
        },
      },
      "fs.read",
    );
    expect(await tool.execute({ path: "/etc/shadow" }, { caller: "@op:x" })).toEqual({
      ok: false,
      refusal: "/etc is outside paths_allowed",
      output: "refused: /etc is outside paths_allowed",
      auditId: 9,
    });
    expect(sent).toEqual([{ capability: "fs.read", args: { path: "/etc/shadow" }, caller: "@op:x" }]);
  });

  test.each([
    [
      { status: 401, body: { error: "unauthorized" } },
      "error: the device agent rejected the bot's signature (401)",
    ],
    [
      { status: 503, body: { status: "audit_unavailable", error: "disk full; nothing was run" } },
      "error: the device agent ran nothing: disk full; nothing was run",
    ],
    [
      Object.assign(new Error("fetch failed"), { code: "ECONNREFUSED" }),
      "error: the device agent could not be reached (ECONNREFUSED)",
    ],
    [{ status: 503, body: {} }, "error: the device agent ran nothing: its audit log cannot be written"],
    [
      { status: 500, body: { error: "database is locked" } },
      "error: the device agent answered 500: database is locked",
    ],
    [{ status: 404, body: "not json" }, "error: the device agent answered 404: HTTP 404"],
    // A done or refused body under the wrong status is not believed.
    [
      { status: 500, body: { status: "done", auditId: 3, result: { ok: true } } },
      "error: the device agent answered 500: HTTP 500",
    ],
    [
      { status: 200, body: { status: "refused", auditId: 3, refusal: { message: "no" } } },
      "error: the device agent answered 200: HTTP 200",
    ],
    [
      { status: 403, body: { status: "done", auditId: 3, result: {} } },
      "error: the device agent answered 403: HTTP 403",
    ],
  ])("transport failures are ordinary tool errors (%#)", async (reply, output) => {
    expect(await byName(reply, "proc.list").execute({}, { caller: "@op:x" })).toEqual({ ok: false, output });
  });

  test("a refusal without the device's words still says it was the policy; a done reply without an audit id has none", async () => {
    const refused = byName({ status: 403, body: { status: "refused" } }, "proc.list");
    expect(await refused.execute({}, { caller: "@op:x" })).toEqual({
      ok: false,
      refusal: "refused by the device's policy",
      output: "refused: refused by the device's policy",
    });
    const noId = byName(
      { status: 200, body: { status: "done", result: { ok: true, stdout: "x" } } },
      "proc.list",
    );
    expect(await noId.execute({}, { caller: "@op:x" })).toEqual({
      ok: true,
      output: "x",
      truncated: false,
      exitCode: null,
    });
  });

  test("each call is a POST /call with the manifest's time limit plus the transport margin", async () => {
    const calls: Array<[string, string, number]> = [];
    const [tool] = wgTools({
      manifest,
      call: (method, path, _payload, timeoutMs) => {
        calls.push([method, path, timeoutMs]);
        return Promise.resolve(done);
      },
    });
    await tool!.execute({}, { caller: "@op:x" });
    expect(calls).toEqual([["POST", "/call", manifest.limits.max_timeout_ms + 5_000]]);
    expect(tool!.timeoutMs).toBe(manifest.limits.max_timeout_ms + 5_000);
  });

  test("shell.exec with no program allowed says so in its description", () => {
    const none: Manifest = { ...byClass, shell: { binaries_allowed: [] } };
    const shell = tools(done, none).find((t) => t.name === "shell.exec")!;
    expect(shell.description).toContain("(none: shell.exec allows no program on this device)");
    const some = tools(done, byClass).find((t) => t.name === "shell.exec")!;
    expect(some.description).not.toContain("(none:");
  });
});
