import pino from "pino";
import { AuditMirror } from "../../../../capabilities/wg/audit-mirror";
import { trackedCalls } from "../../../../capabilities/wg/devices";
import { recordedArgs } from "../../../../capabilities/wg/wire";
import { DeviceAuditStore } from "../../../../state/device-audit";
import { openDatabase } from "../../../../state/db";
import { BOT_MIGRATIONS } from "../../../../state/migrations";
import { FakeDevice } from "./audit-mirror-device";

const OP = "@op:example.org";

/** The bot's own copy of a device's audit, against a real AuditLog behind a fake transport. */
describe("AuditMirror", () => {
  function setup() {
    const db = openDatabase(":memory:", BOT_MIGRATIONS);
    const mirror = new AuditMirror({ store: new DeviceAuditStore(db), pageSize: 2 });
    const device = new FakeDevice();
    const call = trackedCalls(mirror, "pc1", device.transport, pino({ level: "silent" }));
    const send = (capability: string, args: unknown, extra: Record<string, string> = {}) =>
      call("POST", "/call", { capability, args, caller: OP, ...extra }, 1000);
    const sync = () => mirror.sync("pc1", device.transport);
    return { db, mirror, device, send, sync };
  }

  test("calls sent are mirrored with their refs, paged, and the verdict is ok", async () => {
    const t = setup();
    t.device.refuse.add("shell.exec");
    expect((await t.send("fs.list", { path: "/home" })).status).toBe(200);
    expect((await t.send("shell.exec", { argv: ["rm", "-rf", "/"] })).status).toBe(403);
    await t.send("fs.write", { path: "/tmp/x", content: "secret" }, { approved_by: "@boss:example.org" });
    const posted = t.device.requests.filter((r) => r.startsWith("POST"));
    expect(posted).toHaveLength(3);
    // Five entries: two per run call, one for the refusal; every one carries the bot's ref.
    expect(await t.sync()).toEqual({ ok: true, count: 5, head: t.device.audit.head().hash });
    expect(t.mirror.head("pc1")).toEqual(t.device.audit.head());
    const rows = t.db.prepare("SELECT id, ref FROM device_audit ORDER BY id").all() as Array<{ ref: string }>;
    expect(rows.every((r) => /^[A-Za-z0-9_-]{22}$/.test(r.ref))).toBe(true);
    const [write] = t.mirror.recentCalls("pc1", 1);
    expect(write).toMatchObject({ capability: "fs.write", caller: `${OP} (approved by @boss:example.org)` });
    // The content is kept by neither side: its size and SHA-256 only.
    expect(JSON.parse(write!.args)).toEqual({
      path: "/tmp/x",
      mode: "create",
      bytes: 6,
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/) as unknown,
    });
    expect(t.db.prepare("SELECT count(*) AS n FROM device_calls_sent WHERE settled = 1").get()).toEqual({
      n: 3,
    });
    expect(t.mirror.lastSync("pc1")).toMatchObject({ ok: 1, first_broken_id: null });
  });

  test("a device that rewrites an entry after the bot's head and re-chains it is corrupted", async () => {
    const t = setup();
    await t.send("fs.list", { path: "/home" });
    t.device.offline = true; // the sync after the next call fails; the tool still gets its result
    expect((await t.send("fs.list", { path: "/srv" })).status).toBe(200);
    t.device.offline = false;
    t.device.rewriteArgs(3, { path: "/boring" });
    expect(t.device.audit.verify().ok).toBe(true); // what the device says about itself
    expect(await t.sync()).toEqual({
      ok: false,
      firstBrokenId: 3,
      reason: "entry 3 records other arguments than the bot sent (capability fs.list)",
    });
    expect(t.mirror.head("pc1").count).toBe(2);
  });

  test("a device that rewrites an entry the bot already holds is corrupted, naming that entry", async () => {
    const t = setup();
    for (const path of ["/a", "/b", "/c"]) await t.send("fs.list", { path });
    t.device.rewriteArgs(3, { path: "/z" });
    expect(t.device.audit.verify().ok).toBe(true);
    expect(await t.sync()).toEqual({
      ok: false,
      firstBrokenId: 3,
      reason: "entry 3 no longer has the hash the bot stored (rewritten)",
    });
    expect(t.mirror.head("pc1").count).toBe(6); // the bot's copy keeps what it verified
  });

  test("a chain cut short below the bot's copy is corrupted", async () => {
    const t = setup();
    for (const path of ["/a", "/b"]) await t.send("fs.list", { path });
    t.device.sql("DELETE FROM audit WHERE id > 2");
    expect(await t.sync()).toEqual({
      ok: false,
      firstBrokenId: 3,
      reason: "the device's audit no longer has entry 3, which the bot holds (cut short or deleted)",
    });
  });

  test("an entry the bot never sent is corrupted, and only what came before it is kept", async () => {
    const t = setup();
    await t.send("fs.list", { path: "/a" });
    t.device.audit.recordCall({ capability: "shell.exec", args: { argv: ["id"] }, caller: OP });
    t.device.audit.recordCall({
      capability: "fs.list",
      args: { path: "/" },
      caller: OP,
      ref: "madeUpRef123",
    });
    expect(await t.sync()).toEqual({
      ok: false,
      firstBrokenId: 3,
      reason: "entry 3 was not sent by the bot (capability shell.exec)",
    });
    expect(t.mirror.head("pc1").count).toBe(2);
  });

  test("a call entry written twice for one ref is corrupted", async () => {
    const t = setup();
    await t.send("fs.list", { path: "/a" });
    const ref = (t.db.prepare("SELECT ref FROM device_calls_sent").get() as { ref: string }).ref;
    t.device.audit.recordCall({ capability: "fs.list", args: { path: "/a" }, caller: OP, ref });
    expect(await t.sync()).toMatchObject({
      ok: false,
      firstBrokenId: 3,
      reason: expect.stringMatching(/repeats the call of entry 1/) as unknown,
    });
  });

  test("a done call whose result entry was deleted is corrupted at its call entry", async () => {
    const t = setup();
    await t.send("fs.list", { path: "/a" });
    t.device.dropResults = true;
    expect((await t.send("fs.list", { path: "/b" })).status).toBe(200);
    const verdict = await t.sync();
    expect(verdict).toMatchObject({ ok: false, firstBrokenId: 3 });
    expect(verdict.ok || verdict.reason).toMatch(
      /^entry 3 is the fs.list call the bot sent at .*, answered done, but the device's audit has no result for it \(deleted\)$/,
    );
    expect(t.mirror.head("pc1").count).toBe(2);
  });

  test("a call in flight is not judged until its reply is recorded", async () => {
    const t = setup();
    const call = { capability: "fs.list", args: { path: "/slow" }, caller: OP };
    const ref = t.mirror.recordSent("pc1", call);
    // The device has written the call entry and is still running it.
    t.device.audit.recordCall({ ...call, args: call.args, ref });
    expect(await t.sync()).toMatchObject({ ok: true, count: 1 });
    t.mirror.recordReply("pc1", ref, "done", { exitCode: 0, bytes: 12 });
    // Answered done, yet no result entry: now it is judged.
    expect(await t.sync()).toMatchObject({ ok: false, firstBrokenId: 1 });
  });

  test("a device's history from before the bot kept a copy is adopted on the first sync only", async () => {
    const t = setup();
    t.device.audit.recordCall({ capability: "fs.list", args: { path: "/" }, caller: "old-bot" });
    expect(await t.sync()).toMatchObject({ ok: true, count: 1 });
    t.device.audit.recordCall({ capability: "fs.list", args: { path: "/" }, caller: "old-bot" });
    expect(await t.sync()).toMatchObject({ ok: false, firstBrokenId: 2 });
  });

  test("the arguments the bot records are the ones the device records", () => {
    expect(recordedArgs("fs.list", { path: "/x", extra: undefined })).toBe('{"path":"/x"}');
    expect(recordedArgs("shell.exec", { timeout_ms: 5, argv: ["ls"] })).toBe(
      '{"argv":["ls"],"timeout_ms":5}',
    );
    // Not fitting the schema: recorded raw, as the device's invalid_input refusal does.
    expect(recordedArgs("fs.list", { path: 3 })).toBe('{"path":3}');
    expect(recordedArgs("no.such", { a: 1 })).toBe("{}");
  });
});
