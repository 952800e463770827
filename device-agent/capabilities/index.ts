import {
  CAPABILITY_NAMES,
  capabilitySpec,
  type CapabilityName,
  type CapabilitySpec,
} from "../../common/capabilities";
import { dockerLogs, dockerPs, dockerRestart } from "./docker";
import { fsList, fsRead, fsWrite } from "./fs";
import { gitLog, gitPull, gitStatus } from "./git";
import { pkgInstall } from "./pkg";
import { procKill, procList } from "./proc";
import { shellEval, shellExec } from "./shell";
import type { Capability } from "./types";

/** A capability as the agent serves it: its shared spec (description, JSON schema) and its code. */
export type RegisteredCapability = CapabilitySpec & Capability;

const ALL: readonly Capability[] = [
  fsRead,
  fsList,
  fsWrite,
  gitStatus,
  gitLog,
  gitPull,
  dockerPs,
  dockerLogs,
  dockerRestart,
  pkgInstall,
  procList,
  procKill,
  shellExec,
  shellEval,
] as Capability[];

/**
 * The registry, built on demand (no import-time side effects). Fails at start-up when a
 * name is duplicated or one of the fourteen is missing, rather than at the first call.
 */
export function buildRegistry(
  capabilities: readonly Capability[] = ALL,
): Map<CapabilityName, RegisteredCapability> {
  const registry = new Map<CapabilityName, RegisteredCapability>();
  for (const cap of capabilities) {
    if (registry.has(cap.name)) throw new Error(`capability ${cap.name} is defined twice`);
    registry.set(cap.name, { ...capabilitySpec(cap.name), ...cap });
  }
  const missing = CAPABILITY_NAMES.filter((name) => !registry.has(name));
  if (missing.length > 0) throw new Error(`capabilities without code: ${missing.join(", ")}`);
  return registry;
}
