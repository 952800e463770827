import { formatAge, formatClock, formatDuration } from "../../../health/age";

const S = 1000;
const MIN = 60 * S;
const H = 60 * MIN;

describe("ages and durations for a phone screen", () => {
  test.each([
    [-5 * S, "0 s"],
    [0, "0 s"],
    [12_400, "12 s"],
    [89 * S, "89 s"],
    [90 * S, "2 min"],
    [8 * MIN, "8 min"],
    [89 * MIN, "89 min"],
    [90 * MIN, "2 h"],
    [3 * H, "3 h"],
    [47 * H, "47 h"],
    [48 * H, "2 d"],
    [10 * 24 * H, "10 d"],
  ])("formatAge(%d) is %s", (ms, shown) => {
    expect(formatAge(ms)).toBe(shown);
  });

  test.each([
    [-1, "0 s"],
    [0, "0 s"],
    [59 * S, "59 s"],
    [60 * S, "1 min"],
    [170 * S, "2 min 50 s"],
    [H, "1 h"],
    [H + 5 * MIN + 30 * S, "1 h 5 min"],
    [24 * H, "1 d"],
    [3 * 24 * H + 4 * H + 59 * MIN, "3 d 4 h"],
  ])("formatDuration(%d) is %s", (ms, shown) => {
    expect(formatDuration(ms)).toBe(shown);
  });

  test("clock times are UTC to the minute", () => {
    expect(formatClock(Date.UTC(2026, 4, 2, 14, 5, 59))).toBe("2026-05-02 14:05 UTC");
  });
});
