import type { AuditMirror, MirrorVerdict } from "../../../../capabilities/wg/audit-mirror";
import { parseStoredManifest, trackedCalls, WgDevices } from "../../../../capabilities/wg/devices";
import type { AgentTransport } from "../../../../capabilities/wg/wire";
import { UserError } from "../../../../common/errors";
import type { Device } from "../../../../state/devices";
import { memoryLogger } from "../../support/fakes";

/** A mirror that writes down what it is told, in order, and answers sync with the given verdict. */
function recordingMirror(
  sync: () => Promise<MirrorVerdict> = () => Promise.resolve({ ok: true, count: 2, head: "h" }),
) {
  const events: unknown[] = [];
  const mirror = {
    recordSent: (device: string, call: { capability: string }) => {
      events.push(["sent", device, call.capability]);
      return "REF1";
    },
    recordReply: (device: string, ref: string, kind: string, result?: unknown) => {
      events.push(["reply", device, ref, kind, ...(result === undefined ? [] : [result])]);
    },
    sync: (device: string) => {
      events.push(["sync", device]);
      return sync();
    },
  } as unknown as AuditMirror;
  return { mirror, events };
}

const call = { capability: "fs.list", args: { path: "/" }, caller: "@op:example.org" };

describe("trackedCalls", () => {
  function track(
    reply: () => Promise<{ status: number; body: unknown }>,
    sync?: () => Promise<MirrorVerdict>,
  ) {
    const { mirror, events } = recordingMirror(sync);
    const sent: unknown[] = [];
    const transport: AgentTransport = (method, path, payload) => {
      sent.push([method, path, payload]);
      events.push(["transport", path]);
      return reply();
    };
    const { log, lines } = memoryLogger();
    return { tracked: trackedCalls(mirror, "pc1", transport, log), events, sent, lines };
  }
  const done =
    (result: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
    () =>
      Promise.resolve({ status: 200, body: { status: "done", auditId: 7, result, ...extra } });

  test("anything but POST /call goes straight through, unrecorded", async () => {
    const t = track(() => Promise.resolve({ status: 200, body: { capabilities: 3 } }));
    await t.tracked("GET", "/health", undefined, 1000);
    await t.tracked("POST", "/other", call, 1000);
    expect(t.events).toEqual([
      ["transport", "/health"],
      ["transport", "/other"],
    ]);
  });

  test("a call is recorded before it is sent, carries its ref, its result is recorded, then the copy is synced", async () => {
    const t = track(done({ exitCode: 0, bytes: 12 }));
    const reply = await t.tracked("POST", "/call", call, 1000);
    expect(reply.status).toBe(200);
    expect(t.sent).toEqual([["POST", "/call", { ...call, call_ref: "REF1" }]]);
    expect(t.events).toEqual([
      ["sent", "pc1", "fs.list"],
      ["transport", "/call"],
      ["reply", "pc1", "REF1", "done", { exitCode: 0, bytes: 12 }],
      ["sync", "pc1"],
    ]);
  });

  test("a result without numbers is recorded with nulls; one the device could not write is 'unknown'", async () => {
    const plain = track(done({ stdout: "x" }));
    await plain.tracked("POST", "/call", call, 1000);
    expect(plain.events[2]).toEqual(["reply", "pc1", "REF1", "done", { exitCode: null, bytes: null }]);
    const unwritten = track(done({ exitCode: 1, bytes: 0 }, { auditResultWritten: false }));
    await unwritten.tracked("POST", "/call", call, 1000);
    expect(unwritten.events[2]).toEqual(["reply", "pc1", "REF1", "unknown", { exitCode: 1, bytes: 0 }]);
  });

  test("a refusal (403) is 'refused'; a refusal body with another status, or an error body, is 'unknown'", async () => {
    const refusal = { status: "refused", auditId: 3, refusal: { code: "policy", message: "no" } };
    const cases: Array<[number, unknown, string]> = [
      [403, refusal, "refused"],
      [200, refusal, "unknown"],
      [403, { status: "done", auditId: 3, result: {} }, "unknown"],
      [401, { error: "bad signature" }, "unknown"],
      [500, { status: "audit_unavailable", error: "disk full" }, "unknown"],
    ];
    for (const [status, body, kind] of cases) {
      const t = track(() => Promise.resolve({ status, body }));
      await t.tracked("POST", "/call", call, 1000);
      expect(t.events[2]).toEqual(["reply", "pc1", "REF1", kind]);
    }
  });

  test("a transport failure records 'unknown' and is passed on, without a sync", async () => {
    const t = track(() => Promise.reject(new Error("socket hang up")));
    await expect(t.tracked("POST", "/call", call, 1000)).rejects.toThrow("socket hang up");
    expect(t.events).toEqual([
      ["sent", "pc1", "fs.list"],
      ["transport", "/call"],
      ["reply", "pc1", "REF1", "unknown"],
    ]);
  });

  test("a broken or failed sync is logged, and the tool still gets its reply", async () => {
    const broken = track(done({ exitCode: 0 }), () =>
      Promise.resolve({ ok: false, firstBrokenId: 4, reason: "entry 4 was not sent by the bot" }),
    );
    expect((await broken.tracked("POST", "/call", call, 1000)).status).toBe(200);
    expect(broken.lines()).toContainEqual(
      expect.objectContaining({ level: 40, firstBrokenId: 4, msg: "entry 4 was not sent by the bot" }),
    );
    const failed = track(done({ exitCode: 0 }), () => Promise.reject(new Error("ECONNRESET")));
    expect((await failed.tracked("POST", "/call", call, 1000)).status).toBe(200);
    expect(failed.lines()).toContainEqual(expect.objectContaining({ level: 40, err: "ECONNRESET" }));
  });

  test("a reply in an unknown shape is recorded 'unknown', synced, then refused as an error", async () => {
    const t = track(() => Promise.resolve({ status: 200, body: { status: "maybe" } }));
    await expect(t.tracked("POST", "/call", call, 1000)).rejects.toThrow(/POST \/call/);
    expect(t.events.slice(2)).toEqual([
      ["reply", "pc1", "REF1", "unknown"],
      ["sync", "pc1"],
    ]);
  });

  test("a malformed outgoing call is refused before anything is recorded", async () => {
    const t = track(done({}));
    await expect(t.tracked("POST", "/call", { capability: "", caller: "x" }, 1000)).rejects.toThrow(
      /the bot's own POST \/call/,
    );
    expect(t.events).toEqual([]);
  });
});

describe("WgDevices and stored manifests", () => {
  const live = {
    name: "pc1",
    backend: "wg",
    status: "live",
    mesh_ip: "10.42.0.2",
    manifest: "{}",
    os: "linux",
  } as Device;
  const devices = new WgDevices({
    stateDir: "/var/lib/meshpilot",
    agentPort: 7443,
    audit: recordingMirror().mirror,
  });

  test("only a live WireGuard device with a mesh IP and a manifest has tools", () => {
    for (const over of [{ backend: "ssh" }, { status: "adding" }, { mesh_ip: null }, { manifest: null }]) {
      expect(() => devices.toolsFor({ ...live, ...over } as Device)).toThrow(
        new UserError("pc1 is not a live WireGuard device — see !add-pc"),
      );
    }
  });

  test("the secret file is the state directory's", () => {
    expect(devices.secretFile("pc1")).toBe("/var/lib/meshpilot/devices/pc1/agent.secret");
  });

  test("a stored manifest that is not JSON, or not valid, says which and what to do", () => {
    expect(() => parseStoredManifest({ name: "pc1", manifest: "{not json" })).toThrow(
      new UserError("the stored manifest of pc1 is not JSON — re-run !add-pc pc1"),
    );
    expect(() => parseStoredManifest({ name: "pc1", manifest: null })).toThrow(
      /^the stored manifest of pc1 is not valid \(/,
    );
    expect(() => parseStoredManifest({ name: "pc1", manifest: '{"version": "x"}' })).toThrow(
      /^the stored manifest of pc1 is not valid \(\S*: .+\)$/,
    );
  });
});
