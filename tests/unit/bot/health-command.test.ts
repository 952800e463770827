import pino from "pino";
import { healthCommand } from "../../../bot/commands/health";
import type { CommandContext } from "../../../bot/commands/types";
import type { Reply } from "../../../bot/reply";
import { IncidentStore } from "../../../health/incidents";
import { emptyRecord, type HealthRecord } from "../../../health/store";
import { openDatabase } from "../../../state/db";
import { DeviceStore } from "../../../state/devices";
import { BOT_MIGRATIONS } from "../../../state/migrations";

const NOW = 1_800_000_000_000;
const MIN = 60_000;

function setup() {
  const db = openDatabase(":memory:", BOT_MIGRATIONS);
  const devices = new DeviceStore(db);
  for (const [name, ip] of [
    ["pc1", "10.42.0.2"],
    ["pc2", "10.42.0.3"],
  ] as const) {
    devices.claim(name, "wg");
    devices.update(name, { status: "live", mesh_ip: ip });
  }
  const incidents = new IncidentStore(db);
  const health = new Map<string, HealthRecord>([
    ["pc1", { ...emptyRecord("pc1", NOW - 3 * MIN), status: "stale", reason: "handshake 4 min ago" }],
    ["pc2", emptyRecord("pc2", NOW - 10 * MIN)],
  ]);
  const command = healthCommand({
    devices: () => devices.list(),
    health: () => health,
    incidents: () => incidents.allOpen(),
    silence: (name) => incidents.silenceOf(name, NOW),
    now: () => NOW,
  });
  const replies: Reply[] = [];
  const ctx: CommandContext = {
    sender: "@op:example.org",
    roomId: "!alerts",
    eventId: "$cmd",
    log: pino({ level: "silent" }),
    reply: (reply) => {
      replies.push(reply);
      return Promise.resolve("$reply");
    },
    tell: () => Promise.resolve("$tell"),
    startProgress: () => Promise.reject(new Error("not used")),
  };
  const run = async (device?: string): Promise<string> => {
    await command.run(ctx, { positionals: device ? { device } : {}, flags: {} });
    return replies[replies.length - 1]!.body;
  };
  return { incidents, run };
}

describe("!health with incidents", () => {
  test("no open incident: the grid says so", async () => {
    const t = setup();
    expect((await t.run()).split("\n").slice(-1)).toEqual(["open incidents: none"]);
  });

  test("open incidents are listed under the grid (id, device, status, since), 🔕 when silenced", async () => {
    const t = setup();
    const opened = t.incidents.open("pc1", "unreachable", "ssh: timeout", "alert", NOW - 3 * MIN);
    t.incidents.update(opened.id, "stale", "handshake 4 min ago", true);
    t.incidents.silence("pc1", NOW + 30 * MIN, "@op:example.org", NOW - MIN);
    const text = await t.run();
    expect(text).toMatch(/🟡 pc1 wg 10\.42\.0\.2/);
    expect(text.split("\n").slice(-2)).toEqual(["open incidents: 1", "#1 🟡 pc1 stale for 3 min 🔕"]);
    for (const line of text.split("\n")) expect([...line].length).toBeLessThanOrEqual(40);

    const detail = await t.run("pc1");
    expect(detail.split("\n").slice(-4)).toEqual([
      "incident #1: stale for 3 min",
      "   opened as unreachable, 1 change",
      "   pushed",
      "silenced until 2027-01-15 08:30 UTC",
    ]);
    expect((await t.run("pc2")).split("\n").slice(-1)).toEqual(["incident: none open"]);
  });
});
