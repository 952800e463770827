import { MINIMAL_CONFIG, configProblems } from "../support/config-text";
import { minimumStaleAfterS } from "../../../config/physics";

const minimal = MINIMAL_CONFIG;
const problemsOf = configProblems;

describe("health settings physics contradicts are refused with what works", () => {
  test("the defaults and the lab's short timers load", () => {
    expect(problemsOf(minimal)).toEqual([]);
    expect(
      problemsOf(`${minimal}health: { interval_s: 3, stale_after_s: 170, probe_timeout_s: 2 }\n`),
    ).toEqual([]);
  });

  test("stale_after_s: 12 (a healthy device read stale 6 s after it went live) is refused, naming a value that works", () => {
    const problems = problemsOf(`${minimal}health: { stale_after_s: 12 }\n`);
    expect(problems).toHaveLength(2); // below the rekey bound, and not above the 60 s interval
    expect(problems.join("\n")).toMatch(
      /health\.stale_after_s.*12 s is below what WireGuard can promise.*use 150 or more/,
    );
  });

  test("the bound follows the keepalive, or the probes when keepalive is off", () => {
    expect(minimumStaleAfterS(60, 25)).toBe(150);
    expect(minimumStaleAfterS(10, 25)).toBe(135);
    expect(minimumStaleAfterS(60, 0)).toBe(185);
    const mesh = `mesh:\n  subnet: 10.42.0.0/24\n  hub_address: 10.42.0.1\n  endpoint: 192.0.2.1:51820\n  hub_config_file: /etc/wireguard/mesh0.conf\n  agent_dir: /opt/agent\n  persistent_keepalive_s: 0\n`;
    expect(problemsOf(`${minimal}${mesh}health: { stale_after_s: 180 }\n`).join("\n")).toMatch(
      /use 185 or more/,
    );
    expect(problemsOf(`${minimal}${mesh}health: { stale_after_s: 185 }\n`)).toEqual([]);
  });

  test("an interval not below the threshold, and a probe timeout not below the interval, are refused", () => {
    expect(problemsOf(`${minimal}health: { interval_s: 180, stale_after_s: 180 }\n`).join("\n")).toMatch(
      /health\.interval_s.*180 s is not below stale_after_s \(180 s\)/,
    );
    expect(problemsOf(`${minimal}health: { interval_s: 5, probe_timeout_s: 5 }\n`).join("\n")).toMatch(
      /health\.probe_timeout_s.*5 s is not below interval_s \(5 s\).*use less than 5/,
    );
  });
});
