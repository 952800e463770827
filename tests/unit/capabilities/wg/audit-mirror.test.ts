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

  /** One synced call (entries 1–2), then one whose sync failed (entries 3–4, or 3 when refused). */
  async function oneUnsynced(capability = "fs.list") {
    const t = setup();
    await t.send("fs.list", { path: "/a" });
    t.device.offline = true;
    await t.send(capability, capability === "fs.list" ? { path: "/b" } : { argv: ["id"] });
    t.device.offline = false;
    return t;
  }

  test.each([
    [
      "an entry edited without re-chaining",
      (t: Awaited<ReturnType<typeof oneUnsynced>>) =>
        t.device.sql("UPDATE audit SET args = '{}' WHERE id = 3"),
      { firstBrokenId: 3, reason: "entry 3 does not match its hash (edited)" },
    ],
    [
      "an entry linked to another predecessor",
      (t: Awaited<ReturnType<typeof oneUnsynced>>) =>
        t.device.sql("UPDATE audit SET prev_hash = ? WHERE id = 4", "f".repeat(64)),
      { firstBrokenId: 4, reason: "entry 4 does not link to entry 3" },
    ],
    [
      "an entry deleted from the middle",
      (t: Awaited<ReturnType<typeof oneUnsynced>>) => t.device.sql("DELETE FROM audit WHERE id = 3"),
      { firstBrokenId: 3, reason: "the device's audit goes from entry 2 to entry 4" },
    ],
    [
      "a call entry naming another capability, re-chained",
      (t: Awaited<ReturnType<typeof oneUnsynced>>) => {
        t.device.sql("UPDATE audit SET capability = 'fs.read' WHERE id = 3");
        t.device.rechain(3);
      },
      { firstBrokenId: 3, reason: "entry 3 records fs.read, but the bot sent fs.list" },
    ],
    [
      "a call entry naming another caller, re-chained",
      (t: Awaited<ReturnType<typeof oneUnsynced>>) => {
        t.device.sql("UPDATE audit SET caller = '@someone:else.org' WHERE id = 3");
        t.device.rechain(3);
      },
      { firstBrokenId: 3, reason: "entry 3 records another caller than the bot sent (capability fs.list)" },
    ],
    [
      "a call entry pointing at another call, re-chained",
      (t: Awaited<ReturnType<typeof oneUnsynced>>) => {
        t.device.sql("UPDATE audit SET call_id = 1 WHERE id = 3");
        t.device.rechain(3);
      },
      { firstBrokenId: 3, reason: "entry 3 is a call entry that names entry 1" },
    ],
    [
      "a result with another exit code, re-chained",
      (t: Awaited<ReturnType<typeof oneUnsynced>>) => {
        t.device.sql("UPDATE audit SET exit_code = 1 WHERE id = 4");
        t.device.rechain(4);
      },
      { firstBrokenId: 4, reason: "entry 4 records another outcome than the device answered (exit 1, 12 B)" },
    ],
    [
      "a result with another size, re-chained",
      (t: Awaited<ReturnType<typeof oneUnsynced>>) => {
        t.device.sql("UPDATE audit SET bytes = NULL WHERE id = 4");
        t.device.rechain(4);
      },
      { firstBrokenId: 4, reason: "entry 4 records another outcome than the device answered (exit 0, 0 B)" },
    ],
    [
      "a result naming another capability, re-chained",
      (t: Awaited<ReturnType<typeof oneUnsynced>>) => {
        t.device.sql("UPDATE audit SET capability = 'fs.read' WHERE id = 4");
        t.device.rechain(4);
      },
      { firstBrokenId: 4, reason: "entry 4 does not match its call entry 3" },
    ],
    [
      "a run call recorded as refused, re-chained",
      (t: Awaited<ReturnType<typeof oneUnsynced>>) => {
        t.device.sql("UPDATE audit SET refusal = 'policy: no' WHERE id = 3");
        t.device.rechain(3);
      },
      { firstBrokenId: 4, reason: "entry 4 is a result of entry 3, a refused call" },
    ],
  ])("%s is corrupted, naming the entry and why", async (_what, tamper, verdict) => {
    const t = await oneUnsynced();
    tamper(t);
    expect(await t.sync()).toEqual({ ok: false, ...verdict });
    // Only what comes before the first broken entry is kept.
    expect(t.mirror.head("pc1").count).toBe(verdict.firstBrokenId - 1);
    expect(t.mirror.lastSync("pc1")).toMatchObject({
      ok: 0,
      first_broken_id: verdict.firstBrokenId,
      reason: verdict.reason,
    });
  });

  test("a refused call recorded as run is corrupted", async () => {
    const t = setup();
    t.device.refuse.add("shell.exec");
    await t.send("fs.list", { path: "/a" });
    t.device.offline = true;
    expect((await t.send("shell.exec", { argv: ["id"] })).status).toBe(403);
    t.device.offline = false;
    t.device.sql("UPDATE audit SET refusal = NULL WHERE id = 3");
    t.device.rechain(3);
    expect(await t.sync()).toEqual({
      ok: false,
      firstBrokenId: 3,
      reason: "entry 3 records the call as run, but the device answered it refused",
    });
  });

  test("a done call whose call entry was deleted is corrupted at the first entry the bot has not verified", async () => {
    const t = await oneUnsynced();
    t.device.sql("DELETE FROM audit WHERE id >= 3");
    const verdict = await t.sync();
    expect(verdict).toMatchObject({ ok: false, firstBrokenId: 3 });
    expect(verdict.ok || verdict.reason).toMatch(
      /^the fs\.list call the bot sent at .*Z was answered done, but no entry of the device's audit records it \(deleted\)$/,
    );
  });

  test("paging: an HTTP error or a next_after that does not move forward fails the sync", async () => {
    const t = setup();
    await t.send("fs.list", { path: "/a" });
    const failing = () => Promise.resolve({ status: 500, body: { error: "boom" } });
    await expect(t.mirror.sync("pc1", failing)).rejects.toThrow("GET /audit/entries: HTTP 500");
    const stuck = () => Promise.resolve({ status: 200, body: { entries: [], next_after: 1 } });
    await expect(t.mirror.sync("pc1", stuck)).rejects.toThrow(/next_after does not move forward/);
    const requests: string[] = [];
    const backwards = (_m: string, path: string) => {
      requests.push(path);
      return t.device.transport("GET", path, undefined, 1000).then((reply) => ({
        ...reply,
        body: { ...(reply.body as object), next_after: 0 },
      }));
    };
    await expect(t.mirror.sync("pc1", backwards)).rejects.toThrow(/next_after does not move forward/);
    expect(requests).toEqual(["/audit/entries?after=1&limit=2"]);
  });

  test("syncs of one device run one at a time, and the lock is released after each", async () => {
    const t = setup();
    await t.send("fs.list", { path: "/a" });
    let inFlight = 0;
    let most = 0;
    const slow = async (m: "GET" | "POST", path: string) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((r) => setTimeout(r, 5));
      inFlight--;
      return t.device.transport(m, path, undefined, 1000);
    };
    const verdicts = await Promise.all([t.mirror.sync("pc1", slow), t.mirror.sync("pc1", slow)]);
    expect(verdicts.map((v) => v.ok)).toEqual([true, true]);
    expect(most).toBe(1);
    expect(await t.mirror.sync("pc1", slow)).toMatchObject({ ok: true, count: 2 });
  });

  test("lastCallAt, retire and abandonInFlight reach the store", async () => {
    const t = setup();
    expect(t.mirror.lastCallAt("pc1")).toBeNull();
    await t.send("fs.list", { path: "/a" });
    expect(t.mirror.lastCallAt("pc1")).toEqual(expect.any(Number));
    t.mirror.recordSent("pc1", { capability: "fs.list", args: { path: "/b" }, caller: OP });
    expect(t.mirror.abandonInFlight()).toBe(1);
    t.mirror.retire("pc1");
    expect(t.mirror.head("pc1")).toEqual({ count: 0, hash: "0".repeat(64) });
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
