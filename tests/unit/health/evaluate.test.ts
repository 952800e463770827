import { evaluate } from "../../../health/evaluate";
import type { Observation } from "../../../health/types";

const NOW = 1_800_000_000_000;
const settings = { staleAfterS: 180 };
const wg = (over: Partial<Observation>): Observation => ({
  backend: "wg",
  nowMs: NOW,
  handshakeS: NOW / 1000 - 30,
  tunnelSilent: false,
  probe: { ok: true },
  audit: { ok: true, count: 4 },
  ...over,
});

describe("evaluate", () => {
  test("a fresh handshake, /health ok and a sound chain: online", () => {
    expect(evaluate(wg({}), settings)).toEqual({ status: "online", reason: "ok" });
  });

  test("never online when the handshake is older than stale_after_s, even if /health answers", () => {
    const v = evaluate(wg({ handshakeS: NOW / 1000 - 8 * 60 }), settings);
    expect(v).toMatchObject({ status: "stale", reason: "handshake 8 min ago" });
    expect(evaluate(wg({ handshakeS: NOW / 1000 - 181 }), settings).status).toBe("stale");
    expect(evaluate(wg({ handshakeS: NOW / 1000 - 179 }), settings).status).toBe("online");
    // Exactly stale_after_s old is still fresh.
    expect(evaluate(wg({ handshakeS: NOW / 1000 - 180 }), settings).status).toBe("online");
  });

  test("never online when it never handshook or has no peer at the hub", () => {
    expect(evaluate(wg({ handshakeS: 0 }), settings)).toMatchObject({
      status: "stale",
      reason: "never handshook",
    });
    expect(evaluate(wg({ handshakeS: undefined }), settings)).toMatchObject({
      status: "stale",
      reason: "no peer at the hub",
    });
  });

  test("a failed probe through a live tunnel is the agent (unreachable); through a silent one, the tunnel (stale)", () => {
    const failed = { ok: false as const, error: "connection refused", tries: 3 };
    expect(evaluate(wg({ probe: failed }), settings)).toMatchObject({
      status: "unreachable",
      reason: "/health: connection refused",
    });
    expect(evaluate(wg({ probe: failed, tunnelSilent: true }), settings)).toMatchObject({
      status: "stale",
      reason: "handshake 30 s ago, tunnel silent",
    });
  });

  test("a broken chain outranks everything and names the first broken id", () => {
    const v = evaluate(
      wg({
        handshakeS: 0,
        audit: { ok: false, firstBrokenId: 47, reason: "content does not match its hash" },
      }),
      settings,
    );
    expect(v).toMatchObject({ status: "corrupted", reason: "id=47 broken" });
  });

  test("SSH devices: no handshake involved; the SSH probe decides", () => {
    const ssh = { backend: "ssh" as const, nowMs: NOW, probe: { ok: true as const } };
    expect(evaluate(ssh, settings).status).toBe("online");
    expect(
      evaluate({ ...ssh, probe: { ok: false, error: "ECONNREFUSED", tries: 3 } }, settings),
    ).toMatchObject({
      status: "unreachable",
      reason: "ssh: ECONNREFUSED",
    });
  });

  test("the details say what the hub lacks and what came back through a silent tunnel", () => {
    expect(evaluate(wg({ handshakeS: undefined }), settings)).toEqual({
      status: "stale",
      reason: "no peer at the hub",
      detail: "the hub has no WireGuard peer for it",
    });
    expect(
      evaluate(wg({ tunnelSilent: true, probe: { ok: false, error: "HTTP 503", tries: 2 } }), settings),
    ).toEqual({
      status: "stale",
      reason: "handshake 30 s ago, tunnel silent",
      detail: "nothing came back through the tunnel since the last check; /health: HTTP 503",
    });
  });
});
