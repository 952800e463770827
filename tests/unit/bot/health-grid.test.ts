import { healthDetail, healthGrid, incidentDetail, incidentList } from "../../../bot/health-grid";
import type { Incident } from "../../../health/incidents";
import { emptyRecord, type HealthRecord } from "../../../health/store";
import type { Device } from "../../../state/devices";

const NOW = 1_800_000_000_000;

/** Columns on a phone: emoji (and other wide symbols) take two. */
function displayWidth(line: string): number {
  let width = 0;
  for (const ch of line) width += /\p{Extended_Pictographic}/u.test(ch) ? 2 : 1;
  return width;
}

function device(name: string, over: Partial<Device> = {}): Device {
  return {
    name,
    backend: "wg",
    status: "live",
    ssh_user: "lucas",
    ssh_host: "192.0.2.11",
    ssh_port: 22,
    os: "linux",
    arch: "amd64",
    os_pretty: "Debian GNU/Linux 12 (bookworm)",
    agent_user_id: null,
    room_id: null,
    mesh_ip: "10.42.0.2",
    manifest: null,
    created_at: 0,
    updated_at: 0,
    ...over,
  };
}

function health(name: string, over: Partial<HealthRecord>): HealthRecord {
  return { ...emptyRecord(name, NOW - 300_000), audit_count: 128, audit_hash: "ab".repeat(32), ...over };
}

describe("the !health grid", () => {
  const entries = [
    {
      device: device("pc1"),
      health: health("pc1", { status: "online", last_handshake: NOW / 1000 - 20, capabilities: 14 }),
    },
    {
      device: device("aurgi-pc-with-a-very-long-name-x", { mesh_ip: "10.42.0.3" }),
      health: health("x", {
        status: "stale",
        reason: "handshake 8 min ago",
        last_handshake: NOW / 1000 - 480,
      }),
    },
    {
      device: device("home-wsl"),
      health: health("home-wsl", { status: "corrupted", reason: "id=47 broken", audit_broken_id: 47 }),
    },
    {
      device: device("web1", { backend: "ssh", mesh_ip: null }),
      health: health("web1", { status: "unreachable", reason: "ssh: ECONNREFUSED" }),
    },
    { device: device("old", { status: "revoked" }), health: health("old", { status: "revoked" }) },
    { device: device("new"), health: undefined },
  ];

  test("every line fits 40 columns, emoji counted as two", () => {
    const text = healthGrid(entries, NOW);
    for (const line of text.split("\n")) expect(displayWidth(line)).toBeLessThanOrEqual(40);
    for (const line of healthDetail(entries[1]!.device, entries[1]!.health, NOW).split("\n"))
      expect(displayWidth(line)).toBeLessThanOrEqual(40);
  });

  test("status emoji: 🟢 online, 🟡 stale, 🔴 unreachable and corrupted, ⚫ revoked", () => {
    const text = healthGrid(entries, NOW);
    expect(text).toContain("🟢 pc1 wg 10.42.0.2");
    expect(text).toMatch(/🟡 aurgi-pc/);
    expect(text).toContain("🔴 home-wsl");
    expect(text).toContain("audit BROKEN at id 47");
    expect(text).toContain("🔴 web1 ssh 192.0.2.11");
    expect(text).toContain("⚫ old");
    expect(text).toContain("⚪ new");
    expect(text).toContain("online 5 min, hs 20 s ago");
    expect(text).toContain("14 caps, no cmd yet");
    expect(text.split("\n")[0]).toBe("health: 6 devices 🟢1 🟡1 🔴2 ⚫1 ⚪1");
  });

  test("open incidents fit 40 columns too, even for the longest device name", () => {
    const incident: Incident = {
      id: 12345,
      device: "aurgi-pc-with-a-very-long-name-x",
      opened_at: NOW - 50 * 60_000,
      status: "unreachable",
      reason: "ssh: ECONNREFUSED",
      first_status: "stale",
      first_reason: "handshake 4 min ago",
      changes: 3,
      push: "damped",
      pushed_at: null,
      alert_room: null,
      alert_event: null,
      closed_at: null,
      closed_by: null,
    };
    const silence = { device: incident.device, silenced_until: NOW, silenced_by: "@op:x", silenced_at: NOW };
    const text = `${incidentList([incident], () => silence, NOW)}\n${incidentDetail(incident, silence, NOW)}`;
    for (const line of text.split("\n")) expect(displayWidth(line)).toBeLessThanOrEqual(40);
    expect(text).toContain("not pushed (flapping)");
  });
});
