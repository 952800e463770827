import { wgTools, type AgentCall } from "../../../../capabilities/wg/provider";
import { readManifestTemplate, renderManifest } from "../../../../device-agent/manifest/render";

const manifest = renderManifest(readManifestTemplate("linux"), { user: "lucas" }).manifest;

describe("the WireGuard provider", () => {
  const sent: unknown[] = [];
  const tools = (reply: Awaited<ReturnType<AgentCall>> | Error) =>
    wgTools({
      manifest,
      call: (_method, _path, payload) => {
        sent.push(payload);
        return reply instanceof Error ? Promise.reject(reply) : Promise.resolve(reply);
      },
    });
  const byName = (reply: Awaited<ReturnType<AgentCall>> | Error, name: string) =>
    tools(reply).find((t) => t.name === name)!;

  beforeEach(() => (sent.length = 0));

  test("one tool per enabled capability; approval comes from the manifest", () => {
    const all = tools({ status: 200, body: {} });
    expect(all.map((t) => t.name)).toEqual(manifest.capabilities.enabled);
    expect(all.filter((t) => t.needsApproval).map((t) => t.name)).toEqual(
      manifest.capabilities.approval_required,
    );
    expect(all.find((t) => t.name === "fs.list")!.inputSchema).toMatchObject({
      properties: { path: { type: "string" } },
    });
  });

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
  ])("transport failures are ordinary tool errors (%#)", async (reply, output) => {
    expect(await byName(reply, "proc.list").execute({}, { caller: "@op:x" })).toEqual({ ok: false, output });
  });
});
