import { UserError } from "../../common/errors";
import type { HubPort } from "./hub";

export interface ReadyWait {
  device: string;
  publicKey: string;
  meshIp: string;
  secret: string;
  timeoutS: number;
  endpoint: string;
  /** Where the agent logs on the device, for the failure sentence. */
  agentLog: string;
}

/**
 * How long to wait before poll `attempt` (0-based): the agent usually answers within a
 * second of its start, so early polls are 100 ms apart (a 0.5 s period alone cost an add
 * 0.25 s on average), then back off to 0.5 s for a slow device.
 */
export function pollDelayMs(attempt: number): number {
  return attempt < 20 ? 100 : 500;
}

/**
 * Polls (see pollDelayMs, up to timeoutS) until the hub has a handshake from the device
 * and its agent answers a signed /health over the mesh; the hub is asked only until it
 * has seen a handshake. The failure says which of the two was missing, since they point
 * at different fixes (UDP reachability vs the agent).
 */
export async function waitForAgent(
  hub: HubPort,
  agentHealthy: (meshIp: string, secret: string) => Promise<boolean>,
  wait: ReadyWait,
): Promise<string> {
  const deadline = Date.now() + wait.timeoutS * 1000;
  let handshake = 0;
  for (let attempt = 0; Date.now() < deadline; attempt++) {
    if (handshake === 0) handshake = (await hub.handshakes()).get(wait.publicKey) ?? 0;
    if (handshake > 0 && (await agentHealthy(wait.meshIp, wait.secret))) {
      return `handshake ${Math.max(0, Math.round(Date.now() / 1000 - handshake))} s ago, /health ok`;
    }
    await new Promise((r) =>
      setTimeout(r, Math.min(pollDelayMs(attempt), Math.max(0, deadline - Date.now()))),
    );
  }
  throw new UserError(
    handshake > 0
      ? `the tunnel is up but the agent on ${wait.meshIp} did not answer /health within ${wait.timeoutS} s — its log is ${wait.agentLog} on the device`
      : `no WireGuard handshake from ${wait.device} within ${wait.timeoutS} s — check that the device can reach ${wait.endpoint} (UDP)`,
  );
}
