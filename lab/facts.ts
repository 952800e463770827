import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { readEnv } from "../common/env";

/** What lab/up.sh wrote about the running lab (addresses, users, files). */
export interface LabFacts {
  labDir: string;
  repo: string;
  /** Reachable from the root namespace and from inside hub. */
  homeserverUrl: string;
  /** Loopback address of the homeserver, for Element on this machine. */
  homeserverUrlLocal: string;
  serverName: string;
  botConfig: string;
  botUserId: string;
  alertsAlias: string;
  operator: { userId: string; user: string; password: string };
  stranger: { userId: string; user: string; password: string };
  botSshKey: string;
  /** A name for the namespace Synapse runs in (lab/up.sh attaches it), for nsenter --net. */
  rootNetns?: string;
  mesh: { interface: string; subnet: string; hubIp: string; hubConfig: string };
  knownHosts: string;
  hosts: Record<
    string,
    {
      netns: string;
      ip: string;
      uplinkIp?: string;
      adminUser?: string;
      viewerUser?: string;
      home?: string;
      /** pc3: the private /root of a host reached as root. */
      rootHome?: string;
      /** pc4 (pull): the process holding its private mounts, for nsenter. */
      holderPid?: string;
      enrollUrl?: string;
    }
  >;
}

export function labFactsPath(): string {
  return join(readEnv().labDir, "lab.json");
}

/** The lab's facts, or undefined when the lab has not been brought up. */
export function readLabFacts(): LabFacts | undefined {
  const path = labFactsPath();
  if (!existsSync(path)) return undefined;
  return JSON.parse(readFileSync(path, "utf8")) as LabFacts;
}

/** True when the lab's homeserver answers. */
export async function labIsUp(facts: LabFacts): Promise<boolean> {
  try {
    const response = await fetch(`${facts.homeserverUrl}/_matrix/client/versions`, {
      signal: AbortSignal.timeout(3000),
    });
    return response.ok;
  } catch {
    return false;
  }
}
