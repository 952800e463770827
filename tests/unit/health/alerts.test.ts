import { formatDuration } from "../../../health/age";
import {
  alertLine,
  alertText,
  flappingText,
  incidentResolvedLine,
  reminderLine,
  revokedCloseLine,
} from "../../../health/alerts";
import type { Incident } from "../../../health/incidents";

const MIN = 60_000;
const settings = { flapWindowMs: 15 * MIN, flapMaxAlerts: 3, silenceMs: 60 * MIN };

function incident(over: Partial<Incident> = {}): Incident {
  return {
    id: 12,
    device: "pc1",
    opened_at: 0,
    status: "unreachable",
    reason: "/health: connection refused",
    first_status: "unreachable",
    first_reason: "/health: connection refused",
    changes: 0,
    push: "alert",
    pushed_at: 0,
    alert_room: "!r",
    alert_event: "$a",
    closed_at: null,
    closed_by: null,
    ...over,
  };
}

describe("alert lines", () => {
  test("the first line keeps the old form, with the incident id after it", () => {
    expect(alertLine("pc1", { status: "stale", reason: "handshake 8 min ago" })).toBe(
      "[ALERT] device_id=pc1 status=stale (handshake 8 min ago)",
    );
    expect(alertText(incident({ status: "corrupted", reason: "id=47 broken" }), settings)).toBe(
      "[ALERT] device_id=pc1 status=hash_chain_corrupted (id=47 broken) incident #12\nreact 🔁 to repair, 🔕 to silence for 60 min",
    );
  });

  test("an edited alert says how it opened", () => {
    const text = alertText(
      incident({ status: "stale", reason: "handshake 3 min ago", changes: 1 }),
      settings,
    );
    expect(text.split("\n")).toEqual([
      "[ALERT] device_id=pc1 status=stale (handshake 3 min ago) incident #12",
      "opened as unreachable (/health: connection refused); 1 change since",
      "react 🔁 to repair, 🔕 to silence for 60 min",
    ]);
  });

  test("resolved, reminder, flapping and revoked lines", () => {
    expect(incidentResolvedLine("pc1", 12, 170_000)).toBe(
      "[RESOLVED] device_id=pc1 incident #12 online again (was down 2 min 50 s)",
    );
    expect(reminderLine(incident(), 30 * MIN)).toBe(
      "[REMINDER] device_id=pc1 incident #12 still unreachable after 30 min (/health: connection refused)",
    );
    expect(flappingText(incident(), 4, settings).split("\n")[0]).toBe(
      "[FLAPPING] device_id=pc1 incident #12: 4 incidents in 15 min, now unreachable (/health: connection refused)",
    );
    expect(revokedCloseLine(incident(), 5 * MIN)).toBe(
      "[CLOSED] device_id=pc1 incident #12: the device was revoked (down 5 min)",
    );
  });

  test("durations to the second when short", () => {
    expect(formatDuration(0)).toBe("0 s");
    expect(formatDuration(45_000)).toBe("45 s");
    expect(formatDuration(170_000)).toBe("2 min 50 s");
    expect(formatDuration(180_000)).toBe("3 min");
    expect(formatDuration(3_900_000)).toBe("1 h 5 min");
    expect(formatDuration(2 * 86_400_000 + 3_600_000)).toBe("2 d 1 h");
  });
});
