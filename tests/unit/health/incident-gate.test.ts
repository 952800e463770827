import pino from "pino";
import type { AlertSettings } from "../../../health/alerts";
import { IncidentGate, textSinkRoom, type AlertRoom } from "../../../health/incident-gate";
import { IncidentStore } from "../../../health/incidents";
import type { HealthStatus, Verdict } from "../../../health/types";
import { openDatabase, type Db } from "../../../state/db";
import { BOT_MIGRATIONS } from "../../../state/migrations";
import { FakeRoom } from "./fake-room";

const S = 1000;
const MIN = 60 * S;
const settings: AlertSettings = { flapWindowMs: 15 * MIN, flapMaxAlerts: 3, silenceMs: 60 * MIN };
const v = (status: HealthStatus, reason = "ok"): Verdict => ({ status, reason });

function setup(db: Db = openDatabase(":memory:", BOT_MIGRATIONS), over: Partial<AlertSettings> = {}) {
  const store = new IncidentStore(db);
  const room = new FakeRoom();
  const gate = new IncidentGate({
    store,
    room,
    settings: { ...settings, ...over },
    log: pino({ level: "silent" }),
  });
  return { db, store, room, gate };
}

describe("IncidentGate", () => {
  test("a 170 s outage (unreachable → stale → online): one push, an edit, one [RESOLVED] push with the same id", async () => {
    const t = setup();
    await t.gate.observe("pc1", v("online"), 0);
    await t.gate.observe("pc1", v("unreachable", "/health: no answer within 2 s"), 10 * S);
    await t.gate.observe("pc1", v("stale", "handshake 5 s ago, tunnel silent"), 15 * S);
    for (let at = 20 * S; at < 180 * S; at += 5 * S)
      await t.gate.observe("pc1", v("stale", `handshake ${at / S - 10} s ago, tunnel silent`), at);
    await t.gate.observe("pc1", v("online"), 180 * S);
    await t.gate.observe("pc1", v("online"), 185 * S);

    const [opened, resolved] = t.room.pushes();
    expect(t.room.pushes()).toHaveLength(2);
    expect(opened!.text.split("\n")[0]).toBe(
      "[ALERT] device_id=pc1 status=unreachable (/health: no answer within 2 s) incident #1",
    );
    expect(resolved).toMatchObject({
      text: "[RESOLVED] device_id=pc1 incident #1 online again (was down 2 min 50 s)",
      replyTo: opened!.eventId,
    });
    // In between: one edit of the alert (no push), for the one change of state.
    const between = t.room.sent.slice(1, -1);
    expect(between).toEqual([
      expect.objectContaining({
        kind: "edit",
        edits: opened!.eventId,
        text: expect.stringMatching(
          /^\[ALERT\] device_id=pc1 status=stale \(handshake 5 s ago, tunnel silent\) incident #1\nopened as unreachable/,
        ) as unknown,
      }),
    ]);
    expect(t.store.get(1)).toMatchObject({
      closed_at: 180 * S,
      closed_by: "online",
      changes: 1,
      push: "alert",
    });
  });

  test("a flapping device is damped by incidents, and every pushed incident gets its [RESOLVED]", async () => {
    const t = setup();
    let at = 0;
    for (let i = 0; i < 10; i++) {
      await t.gate.observe("pc1", v("stale", "handshake 4 min ago"), (at += 30 * S));
      await t.gate.observe("pc1", v("unreachable", "ssh: ECONNREFUSED"), (at += 5 * S));
      await t.gate.observe("pc1", v("online"), (at += 25 * S));
    }
    const pushes = t.room.pushes().map((m) => m.text.split("\n")[0]!);
    // Three alerts, then one [FLAPPING] (said once), each with its [RESOLVED]; incidents 5–10 recorded only.
    expect(pushes.filter((p) => p.startsWith("[ALERT]"))).toHaveLength(3);
    expect(pushes.filter((p) => p.startsWith("[FLAPPING]"))).toEqual([
      "[FLAPPING] device_id=pc1 incident #4: 4 incidents in 15 min, now stale (handshake 4 min ago)",
    ]);
    for (const id of [1, 2, 3, 4])
      expect(pushes).toContain(`[RESOLVED] device_id=pc1 incident #${id} online again (was down 30 s)`);
    expect(pushes).toHaveLength(8);
    expect(t.store.openedSince("pc1", 0).map((i) => i.push)).toEqual([
      ...["alert", "alert", "alert", "flapping"],
      ...Array<string>(6).fill("damped"),
    ]);

    // Down again while damped and held for the whole window: pushed late, then resolved.
    await t.gate.observe("pc1", v("unreachable", "ssh: ECONNREFUSED"), (at += 30 * S));
    expect(t.room.pushes()).toHaveLength(8);
    await t.gate.observe("pc1", v("unreachable", "ssh: ECONNREFUSED"), (at += 15 * MIN));
    await t.gate.observe("pc1", v("online"), (at += MIN));
    expect(
      t.room
        .pushes()
        .slice(8)
        .map((m) => m.text.split("\n").slice(0, 2).join(" / ")),
    ).toEqual([
      "[ALERT] device_id=pc1 status=unreachable (ssh: ECONNREFUSED) incident #11 / held back while flapping; down for 15 min",
      "[RESOLVED] device_id=pc1 incident #11 online again (was down 16 min)",
    ]);

    // Quiet for a window: the next incident pushes at once.
    await t.gate.observe("pc1", v("stale", "handshake 4 min ago"), (at += 16 * MIN));
    expect(t.room.pushes()[10]!.text).toMatch(/^\[ALERT\] device_id=pc1 status=stale .* incident #12\n/);
  });

  test("a restart (new gate, same database) keeps the open incident and resolves it later", async () => {
    const first = setup();
    await first.gate.observe("pc1", v("corrupted", "id=47 broken"), 0);
    const again = setup(first.db);
    await again.gate.observe("pc1", v("corrupted", "id=47 broken"), 30 * S);
    expect(again.room.sent).toEqual([]);
    expect(again.store.allOpen()).toHaveLength(1);
    await again.gate.observe("pc1", v("online"), 10 * MIN);
    expect(again.room.sent).toEqual([
      {
        kind: "push",
        text: "[RESOLVED] device_id=pc1 incident #1 online again (was down 10 min)",
        eventId: "$e1",
        replyTo: first.room.pushes()[0]!.eventId,
      },
    ]);
  });

  test("silenced: new incidents are recorded, not pushed; one still open when the silence ends is pushed then", async () => {
    const t = setup();
    await t.gate.observe("pc1", v("stale", "handshake 4 min ago"), 0);
    t.store.silence("pc1", 60 * MIN, "@op:example.org", MIN);
    // Pushed before the silence: its [RESOLVED] still comes.
    await t.gate.observe("pc1", v("online"), 2 * MIN);
    await t.gate.observe("pc1", v("unreachable", "ssh: timeout"), 3 * MIN);
    await t.gate.observe("pc1", v("online"), 4 * MIN);
    await t.gate.observe("pc1", v("unreachable", "ssh: timeout"), 50 * MIN);
    expect(t.room.pushes().map((m) => m.text.split("\n")[0])).toEqual([
      "[ALERT] device_id=pc1 status=stale (handshake 4 min ago) incident #1",
      "[RESOLVED] device_id=pc1 incident #1 online again (was down 2 min)",
    ]);
    expect(t.store.openedSince("pc1", 0).map((i) => [i.id, i.push, i.closed_by])).toEqual([
      [1, "alert", "online"],
      [2, "silenced", "online"],
      [3, "silenced", null],
    ]);
    await t.gate.observe("pc1", v("unreachable", "ssh: timeout"), 61 * MIN);
    expect(t.room.pushes()[2]!.text.split("\n").slice(0, 2)).toEqual([
      "[ALERT] device_id=pc1 status=unreachable (ssh: timeout) incident #3",
      "held back while silenced; down for 11 min",
    ]);
  });

  test("a revoked device's open incident is closed with a plain notice; a reminder pushes once a period", async () => {
    const t = setup(undefined, { remindAfterMs: 30 * MIN });
    await t.gate.observe("pc1", v("unreachable", "ssh: timeout"), 0);
    await t.gate.observe("pc1", v("unreachable", "ssh: timeout"), 20 * MIN);
    await t.gate.observe("pc1", v("unreachable", "ssh: timeout"), 31 * MIN);
    await t.gate.observe("pc1", v("unreachable", "ssh: timeout"), 40 * MIN);
    await t.gate.revoked("pc1", 45 * MIN);
    await t.gate.revoked("pc1", 46 * MIN);
    expect(t.room.sent.map((m) => [m.kind, m.text.split("\n")[0]])).toEqual([
      ["push", "[ALERT] device_id=pc1 status=unreachable (ssh: timeout) incident #1"],
      ["push", "[REMINDER] device_id=pc1 incident #1 still unreachable after 31 min (ssh: timeout)"],
      ["notice", "[CLOSED] device_id=pc1 incident #1: the device was revoked (down 45 min)"],
    ]);
    expect(t.store.allOpen()).toEqual([]);
  });

  test.each(["unreachable", "stale", "corrupted"] as const)(
    "a device first seen %s (no verdict before) opens an incident and pushes its alert",
    async (status) => {
      const t = setup();
      const posted = await t.gate.observe("pc1", v(status, "first look"), 5 * S);
      expect(posted.map((m) => m.kind)).toEqual(["push"]);
      expect(t.room.pushes()).toHaveLength(1);
      expect(t.room.pushes()[0]!.text).toMatch(
        /^\[ALERT\] device_id=pc1 status=\S+ \(first look\) incident #1/,
      );
      expect(t.store.openFor("pc1")).toMatchObject({
        status,
        push: "alert",
        opened_at: 5 * S,
        pushed_at: 5 * S,
      });
    },
  );

  test("a plain text sink sees every push, edit and notice, and gives no message ids", async () => {
    const seen: string[] = [];
    const room = textSinkRoom((text) => seen.push(text));
    expect(await room.push("one")).toBeUndefined();
    await room.edit({ roomId: "!r", eventId: "$e" }, "two");
    await room.notice("three");
    expect(seen).toEqual(["one", "two", "three"]);
  });

  test("a room that fails to send: logged, and the incident is still recorded as pushed so its [RESOLVED] follows", async () => {
    const errors: Array<Record<string, unknown>> = [];
    const failing: AlertRoom = {
      push: () => Promise.reject(new Error("M_FORBIDDEN")),
      edit: () => Promise.reject(new Error("M_FORBIDDEN")),
      notice: () => Promise.reject(new Error("M_FORBIDDEN")),
    };
    const db = openDatabase(":memory:", BOT_MIGRATIONS);
    const store = new IncidentStore(db);
    const gate = new IncidentGate({
      store,
      room: failing,
      settings,
      log: pino(
        { level: "error" },
        { write: (line: string) => void errors.push(JSON.parse(line) as Record<string, unknown>) },
      ),
    });
    expect(await gate.observe("pc1", v("unreachable", "ssh: timeout"), 0)).toEqual([
      { kind: "push", text: expect.stringMatching(/^\[ALERT\] device_id=pc1/) as unknown },
    ]);
    expect(store.get(1)).toMatchObject({ push: "alert", pushed_at: 0, alert_event: null });
    const resolved = await gate.observe("pc1", v("online"), 60 * S);
    expect(resolved.map((m) => m.text)).toEqual([
      "[RESOLVED] device_id=pc1 incident #1 online again (was down 1 min)",
    ]);
    expect(errors.map((e) => [e.msg, e.device, e.incident])).toEqual([
      ["could not send the alert", "pc1", 1],
      ["could not send the resolved", "pc1", 1],
    ]);
  });

  test("what observe and revoked return is what was sent, kind by kind", async () => {
    const t = setup(undefined, { remindAfterMs: 30 * MIN });
    const kinds = (posted: Array<{ kind: string; text: string }>) =>
      posted.map((m) => [m.kind, m.text.split("\n")[0]]);
    expect(kinds(await t.gate.observe("pc1", v("unreachable", "ssh: timeout"), 0))).toEqual([
      ["push", "[ALERT] device_id=pc1 status=unreachable (ssh: timeout) incident #1"],
    ]);
    expect(await t.gate.observe("pc1", v("unreachable", "ssh: timeout"), MIN)).toEqual([]);
    expect(kinds(await t.gate.observe("pc1", v("stale", "handshake 5 min ago"), 2 * MIN))).toEqual([
      ["edit", "[ALERT] device_id=pc1 status=stale (handshake 5 min ago) incident #1"],
    ]);
    // A reason that changes without a change of state is stored, and edits nothing.
    expect(await t.gate.observe("pc1", v("stale", "handshake 6 min ago"), 3 * MIN)).toEqual([]);
    expect(t.store.get(1)).toMatchObject({ status: "stale", reason: "handshake 6 min ago", changes: 1 });
    // The reminder is due at exactly remindAfterMs after the push, not a sweep later.
    expect(await t.gate.observe("pc1", v("stale", "handshake 6 min ago"), 30 * MIN - 1)).toEqual([]);
    expect(kinds(await t.gate.observe("pc1", v("stale", "handshake 6 min ago"), 30 * MIN))).toEqual([
      ["push", "[REMINDER] device_id=pc1 incident #1 still stale after 30 min (handshake 6 min ago)"],
    ]);
    expect(t.room.pushes()[1]!.replyTo).toBe(t.room.pushes()[0]!.eventId);
    expect(kinds(await t.gate.observe("pc1", v("online"), 40 * MIN))).toEqual([
      ["push", "[RESOLVED] device_id=pc1 incident #1 online again (was down 40 min)"],
    ]);
    expect(await t.gate.observe("pc1", v("online"), 41 * MIN)).toEqual([]);
    await t.gate.observe("pc1", v("unreachable", "x"), 50 * MIN);
    expect(kinds(await t.gate.revoked("pc1", 51 * MIN))).toEqual([
      ["notice", "[CLOSED] device_id=pc1 incident #2: the device was revoked (down 1 min)"],
    ]);
  });

  test("no reminders while silenced; a silenced incident closes without a word, by revoke or online", async () => {
    const t = setup(undefined, { remindAfterMs: 10 * MIN });
    await t.gate.observe("pc1", v("unreachable", "x"), 0);
    t.store.silence("pc1", 120 * MIN, "@op:example.org", MIN);
    expect(await t.gate.observe("pc1", v("stale", "y"), 20 * MIN)).toEqual([
      expect.objectContaining({ kind: "edit" }),
    ]);
    expect(await t.gate.observe("pc1", v("stale", "y"), 30 * MIN)).toEqual([]);
    await t.gate.observe("pc1", v("online"), 31 * MIN);
    await t.gate.observe("pc1", v("unreachable", "x"), 32 * MIN);
    expect(await t.gate.revoked("pc1", 33 * MIN)).toEqual([]);
    await t.gate.observe("pc1", v("unreachable", "x"), 34 * MIN);
    expect(await t.gate.observe("pc1", v("online"), 35 * MIN)).toEqual([]);
    expect(t.room.sent.map((m) => m.kind)).toEqual(["push", "edit", "push"]);
  });

  test("the flap window counts incidents opened within it, its first millisecond included", async () => {
    const t = setup(undefined, { flapMaxAlerts: 2, flapWindowMs: 10 * MIN });
    const bounce = async (at: number) => {
      await t.gate.observe("pc1", v("unreachable", "x"), at);
      await t.gate.observe("pc1", v("online"), at + S);
    };
    await bounce(0);
    await bounce(MIN);
    // Opened 10 min after the first: the window [now - 10 min + 1, now] no longer holds it.
    await bounce(10 * MIN);
    expect(t.store.openedSince("pc1", 0).map((i) => i.push)).toEqual(["alert", "alert", "alert"]);
    await bounce(10 * MIN + 30 * S);
    expect(t.store.openedSince("pc1", 0).map((i) => i.push)).toEqual(["alert", "alert", "alert", "flapping"]);
  });

  test("a healthy device: nothing recorded, nothing sent", async () => {
    const t = setup();
    for (let i = 0; i < 50; i++) await t.gate.observe("pc1", v("online"), i * MIN);
    expect(t.room.sent).toEqual([]);
    expect(t.store.openedSince("pc1", 0)).toEqual([]);
  });
});
