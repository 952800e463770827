/** "12 s", "8 min", "3 h", "2 d": ages for a phone screen. */
export function formatAge(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 90) return `${s} s`;
  const min = Math.round(s / 60);
  if (min < 90) return `${min} min`;
  const h = Math.round(min / 60);
  if (h < 48) return `${h} h`;
  return `${Math.round(h / 24)} d`;
}

/** "2 min 50 s", "1 h 5 min", "3 d 4 h": how long an incident lasted, to the second when short. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const [d, h, min, sec] = [
    Math.floor(s / 86_400),
    Math.floor(s / 3600) % 24,
    Math.floor(s / 60) % 60,
    s % 60,
  ];
  const parts: Array<[number, string]> =
    d > 0
      ? [
          [d, "d"],
          [h, "h"],
        ]
      : h > 0
        ? [
            [h, "h"],
            [min, "min"],
          ]
        : min > 0
          ? [
              [min, "min"],
              [sec, "s"],
            ]
          : [[sec, "s"]];
  const shown = parts.filter(([n], i) => i === 0 || n > 0);
  return shown.map(([n, unit]) => `${n} ${unit}`).join(" ");
}

/** "2026-05-02 14:05 UTC": a moment operators in several time zones read the same way. */
export function formatClock(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16).replace("T", " ")} UTC`;
}
