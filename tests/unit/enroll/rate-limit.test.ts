import { RateLimit } from "../../../enroll/rate-limit";

describe("the per-address rate limit", () => {
  test("a burst of perMinute, then one more per 60/perMinute s; addresses are counted apart", () => {
    let now = 0;
    const limit = new RateLimit(6, () => now);
    for (let i = 0; i < 6; i++) expect(limit.take("a")).toBe(true);
    expect(limit.take("a")).toBe(false);
    expect(limit.take("b")).toBe(true);
    now += 9_999; // 6 per minute: a token every 10 s
    expect(limit.take("a")).toBe(false);
    now += 1;
    expect(limit.take("a")).toBe(true);
    expect(limit.take("a")).toBe(false);
    now += 600_000; // refills to the burst, never beyond it
    for (let i = 0; i < 6; i++) expect(limit.take("a")).toBe(true);
    expect(limit.take("a")).toBe(false);
  });

  test("the map is bounded: the least recently seen address is dropped first", () => {
    let now = 0;
    const limit = new RateLimit(1, () => now, 2);
    expect(limit.take("a")).toBe(true);
    expect(limit.take("b")).toBe(true);
    expect(limit.take("a")).toBe(false); // a is now the most recent
    expect(limit.take("c")).toBe(true); // evicts b, not a
    expect(limit.take("a")).toBe(false);
    expect(limit.take("b")).toBe(true); // b starts again with a full bucket (evicting c)
    now += 1;
    expect(limit.take("a")).toBe(false);
  });
});
