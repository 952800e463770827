import type { HubPort } from "../../../../provisioning/wg/hub";
import { pollDelayMs, waitForAgent } from "../../../../provisioning/wg/ready";

/** The wait after the agent starts: quick polls first, the hub asked only until it saw a handshake. */

const WAIT = {
  device: "pc1",
  publicKey: "PK",
  meshIp: "10.77.0.2",
  secret: "s",
  timeoutS: 10,
  endpoint: "hub.example.org:51820",
  agentLog: "/home/ana/.local/state/meshpilot/agent.log",
};

/** A hub that reports the device's handshake from its `from`-th read on. */
function hubSeeing(from: number): HubPort & { reads: number } {
  const hub = {
    reads: 0,
    handshakes: () => {
      hub.reads++;
      return Promise.resolve(new Map(hub.reads >= from ? [["PK", Math.floor(Date.now() / 1000)]] : []));
    },
  };
  return hub as unknown as HubPort & { reads: number };
}

describe("waitForAgent", () => {
  test("polls every 100 ms at first, then every 500 ms", () => {
    expect([0, 1, 19].map(pollDelayMs)).toEqual([100, 100, 100]);
    expect([20, 100].map(pollDelayMs)).toEqual([500, 500]);
  });

  test("stops asking the hub once it has a handshake; done as soon as /health answers", async () => {
    const hub = hubSeeing(3);
    let checks = 0;
    const started = Date.now();
    const said = await waitForAgent(hub, () => Promise.resolve(++checks >= 4), WAIT);
    expect(said).toMatch(/^handshake \d s ago, \/health ok$/);
    expect(hub.reads).toBe(3);
    expect(checks).toBe(4);
    // Six 100 ms pauses; the old 0.5 s period took 3 s for the same answers.
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  test("says which half was missing when the time is up", async () => {
    await expect(
      waitForAgent(hubSeeing(Infinity), () => Promise.resolve(true), { ...WAIT, timeoutS: 0.3 }),
    ).rejects.toThrow(
      "no WireGuard handshake from pc1 within 0.3 s — check that the device can reach hub.example.org:51820 (UDP)",
    );
    await expect(
      waitForAgent(hubSeeing(1), () => Promise.resolve(false), { ...WAIT, timeoutS: 0.3 }),
    ).rejects.toThrow(
      `the tunnel is up but the agent on 10.77.0.2 did not answer /health within 0.3 s — its log is ${WAIT.agentLog} on the device`,
    );
  });
});
