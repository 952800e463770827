import { AlertReactions, matrixAlertRoom, repairDevice } from "../../../bot/alert-reactions";
import { UserError } from "../../../common/errors";
import { IncidentGate } from "../../../health/incident-gate";
import { IncidentStore } from "../../../health/incidents";
import type { AddRequest, AddResult } from "../../../provisioning/service";
import { openDatabase } from "../../../state/db";
import type { Device } from "../../../state/devices";
import { BOT_MIGRATIONS } from "../../../state/migrations";
import { FakeRoom } from "../health/fake-room";
import { memoryLogger, RecordingPort } from "../support/fakes";

const OP = "@op:example.org";
const STRANGER = "@stranger:example.org";
const MIN = 60_000;
const T0 = Date.UTC(2026, 4, 2, 14, 0);

function setup() {
  const store = new IncidentStore(openDatabase(":memory:", BOT_MIGRATIONS));
  const room = new FakeRoom();
  const { log, lines } = memoryLogger();
  const gate = new IncidentGate({ store, room, settings: { flapWindowMs: 15 * MIN, flapMaxAlerts: 4 }, log });
  const repaired: string[] = [];
  let now = T0;
  const reactions = new AlertReactions({
    operators: new Set([OP]),
    incidents: store,
    repair: (name) => {
      repaired.push(name);
      return Promise.resolve(`🔁 ${name}: every check passed — nothing needed repair`);
    },
    room,
    silenceMs: 60 * MIN,
    log,
    now: () => now,
  });
  return { store, room, gate, reactions, repaired, lines, at: (t: number) => (now = t) };
}

describe("reactions on a health alert", () => {
  test("🔁 from an operator runs the repair once and pushes its outcome; from a stranger nothing", async () => {
    const t = setup();
    await t.gate.observe("pc1", { status: "unreachable", reason: "/health: connection refused" }, T0);
    const alert = t.room.pushes()[0]!.eventId!;

    expect(await t.reactions.onReaction("!alerts", STRANGER, alert, "🔁")).toBe(true);
    expect(t.repaired).toEqual([]);
    expect(
      t.lines().some((l) => l.msg === "ignored a reaction on an alert from someone who is not an operator"),
    ).toBe(true);

    expect(await t.reactions.onReaction("!alerts", OP, alert, "🔁")).toBe(true);
    expect(t.repaired).toEqual(["pc1"]);
    expect(t.room.sent.slice(1)).toEqual([
      { kind: "notice", text: `🔁 repairing pc1 for ${OP} (what !add-pc pc1 again does)…` },
      expect.objectContaining({
        kind: "push",
        text: "🔁 pc1: every check passed — nothing needed repair",
        replyTo: alert,
      }),
    ]);
    // Not an alert, or another key: nothing happens.
    expect(await t.reactions.onReaction("!alerts", OP, "$other", "🔁")).toBe(false);
    expect(await t.reactions.onReaction("!alerts", OP, alert, "👍")).toBe(true);
    expect(t.repaired).toEqual(["pc1"]);
  });

  test("🔕 (with U+FE0F) silences the device for silence_s, says until when; the next incident is recorded, not pushed", async () => {
    const t = setup();
    await t.gate.observe("pc1", { status: "stale", reason: "handshake 4 min ago" }, T0);
    const alert = t.room.pushes()[0]!.eventId!;
    await t.reactions.onReaction("!alerts", STRANGER, alert, "🔕");
    expect(t.store.silenceOf("pc1", T0)).toBeUndefined();

    t.at(T0 + MIN);
    await t.reactions.onReaction("!alerts", OP, alert, "🔕\uFE0F");
    expect(t.store.silenceOf("pc1", T0 + MIN)).toMatchObject({
      silenced_until: T0 + 61 * MIN,
      silenced_by: OP,
    });
    expect(t.room.sent[1]).toEqual({
      kind: "notice",
      text: `🔕 pc1 silenced until 2026-05-02 15:01 UTC (60 min, by ${OP}): its new incidents are recorded, not pushed; one already pushed still gets its [RESOLVED]`,
    });

    await t.gate.observe("pc1", { status: "online", reason: "ok" }, T0 + 2 * MIN);
    await t.gate.observe("pc1", { status: "unreachable", reason: "ssh: timeout" }, T0 + 3 * MIN);
    expect(t.room.pushes().map((m) => m.text.split("\n")[0])).toEqual([
      "[ALERT] device_id=pc1 status=stale (handshake 4 min ago) incident #1",
      "[RESOLVED] device_id=pc1 incident #1 online again (was down 2 min)",
    ]);
    expect(t.store.openFor("pc1")).toMatchObject({ id: 2, push: "silenced" });
  });
});

describe("the control room as the monitor's AlertRoom", () => {
  test("pushes mention the operators; edits repeat msgtype and format and mention no one anew", async () => {
    const port = new RecordingPort();
    const room = matrixAlertRoom({ matrix: port, roomId: () => "!alerts", operators: [OP] });
    const alert = await room.push("[ALERT] device_id=pc1 status=stale (x) incident #1");
    await room.edit(alert!, "[ALERT] device_id=pc1 status=unreachable (y) incident #1");
    await room.push("[RESOLVED] device_id=pc1 incident #1 online again (was down 5 s)", alert);
    await room.notice("[CLOSED] device_id=pc1 incident #1: the device was revoked (down 5 s)");
    const [pushed, edit, resolved, notice] = port.sent.map((s) => s.content);
    expect(pushed).toMatchObject({ msgtype: "m.text", "m.mentions": { user_ids: [OP] } });
    expect(edit).toMatchObject({
      msgtype: "m.text",
      "m.mentions": { user_ids: [] },
      "m.relates_to": { rel_type: "m.replace", event_id: alert!.eventId },
      "m.new_content": {
        msgtype: "m.text",
        format: "org.matrix.custom.html",
        formatted_body: expect.stringContaining("status=unreachable") as unknown,
      },
    });
    expect(resolved).toMatchObject({
      msgtype: "m.text",
      "m.relates_to": { "m.in_reply_to": { event_id: alert!.eventId } },
    });
    expect(notice).toMatchObject({ msgtype: "m.notice" });
  });

  test("no control room yet: nothing is sent", async () => {
    const port = new RecordingPort();
    const room = matrixAlertRoom({ matrix: port, roomId: () => undefined, operators: [OP] });
    expect(await room.push("x")).toBeUndefined();
    expect(port.sent).toEqual([]);
  });
});

describe("repairDevice", () => {
  const live = {
    name: "pc1",
    backend: "wg",
    status: "live",
    ssh_user: "lucas",
    ssh_host: "192.0.2.11",
    ssh_port: 2222,
  };

  test("runs the idempotent add with the device's own backend, host and key", async () => {
    const requests: AddRequest[] = [];
    const result: AddResult = {
      kind: "repaired",
      device: live as Device,
      report: { repaired: [{ step: "agent", problem: "not running", action: "restarted" }], failed: [] },
    };
    const text = await repairDevice(
      {
        device: () => live as Device,
        keyFile: () => "/keys/pc1",
        prepare: (request) => {
          requests.push(request);
          return { name: request.name, total: 9, execute: () => Promise.resolve(result) };
        },
      },
      "pc1",
    );
    expect(requests).toEqual([
      { name: "pc1", via: "wg", ssh: "lucas@192.0.2.11:2222", keyFile: "/keys/pc1" },
    ]);
    expect(text).toBe("🔁 pc1 repaired:\nagent: not running → restarted");
  });

  test("a device that is not live is refused with a sentence", async () => {
    const deps = {
      device: () => ({ ...live, status: "revoked" }) as Device,
      keyFile: () => undefined,
      prepare: () => {
        throw new Error("not reached");
      },
    };
    await expect(repairDevice(deps, "pc1")).rejects.toThrow(
      new UserError("pc1 is revoked — nothing to repair"),
    );
  });
});
