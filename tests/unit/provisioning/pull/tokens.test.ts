import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hashToken, EnrollmentStore } from "../../../../provisioning/pull/tokens";
import { openDatabase } from "../../../../state/db";
import { BOT_MIGRATIONS } from "../../../../state/migrations";

function store(now: { t: number }) {
  const db = openDatabase(join(mkdtempSync(join(tmpdir(), "mp-tokens-")), "s.db"), BOT_MIGRATIONS);
  return { db, store: new EnrollmentStore(db, () => now.t) };
}
const request = { name: "pc5", os: "linux", arch: "amd64", profile: "default", by: "@op:x", ttlS: 900 };
const machine = { machineId: "a".repeat(64), publicKey: "k", address: "192.0.2.9" };

describe("enrollment links", () => {
  test("a token is 256 random bits, stored only as its SHA-256", () => {
    const now = { t: 1_000_000 };
    const { db, store: s } = store(now);
    const { token } = s.create(request);
    expect(Buffer.from(token, "base64url")).toHaveLength(32);
    const rows = db.prepare("SELECT * FROM enrollments").all() as Record<string, unknown>[];
    expect(JSON.stringify(rows)).not.toContain(token);
    expect(rows[0]!.token_hash).toBe(hashToken(token));
    expect(s.create(request).token).not.toBe(token);
  });

  test("single use: the first claim wins, a second (any machine) fails", () => {
    const now = { t: 1_000_000 };
    const { store: s } = store(now);
    const { token, enrollment } = s.create(request);
    expect(s.find(token)?.status).toBe("pending");
    expect(s.claim(enrollment.token_hash, machine)).toBe(true);
    expect(s.claim(enrollment.token_hash, machine)).toBe(false);
    expect(s.claim(enrollment.token_hash, { ...machine, machineId: "b".repeat(64) })).toBe(false);
    expect(s.find(token)).toMatchObject({ status: "used", machine_id: machine.machineId });
  });

  test("an expired link cannot be claimed and leaves the pending list", () => {
    const now = { t: 1_000_000 };
    const { store: s } = store(now);
    const { enrollment } = s.create(request);
    expect(s.pending()).toHaveLength(1);
    now.t += 900_000;
    expect(s.claim(enrollment.token_hash, machine)).toBe(false);
    expect(s.pending()).toHaveLength(0);
    expect(s.byHash(enrollment.token_hash)?.status).toBe("expired");
  });

  test("a new link for a name cancels its pending one; cancel touches only pending links", () => {
    const now = { t: 1_000_000 };
    const { store: s } = store(now);
    const first = s.create(request);
    const second = s.create(request);
    expect(s.byHash(first.enrollment.token_hash)?.status).toBe("cancelled");
    expect(s.claim(second.enrollment.token_hash, machine)).toBe(true);
    const third = s.create({ ...request, name: "pc6" });
    expect(s.cancel("pc5")).toBe(0);
    expect(s.byHash(second.enrollment.token_hash)?.status).toBe("used");
    expect(s.cancel("pc6")).toBe(1);
    expect(s.byHash(third.enrollment.token_hash)?.status).toBe("cancelled");
  });

  test("anything not shaped like a token is not looked up", () => {
    const { store: s } = store({ t: 1 });
    const { token } = s.create(request);
    expect(s.find(`${token}x`)).toBeUndefined();
    expect(s.find("' OR 1=1 --")).toBeUndefined();
    expect(s.find(token.slice(0, -1))).toBeUndefined();
  });
});
