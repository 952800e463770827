/**
 * The class of each device-agent capability and the approval rule. shell.exec takes the
 * class of its exact argv; the others have a fixed class.
 */
import type { CapabilityName } from "../capabilities";
import { checkArgv } from "./check";
import type { CallClass, ClassVerdict, PolicyFlavor } from "./types";

type Fixed = Exclude<CapabilityName, "shell.exec">;

const FIXED: Readonly<Record<Fixed, ClassVerdict>> = {
  "fs.read": { callClass: "read", reason: "fs.read only reads a file" },
  "fs.list": { callClass: "read", reason: "fs.list only lists a directory" },
  "git.status": { callClass: "read", reason: "git.status only reads a repository's state" },
  "git.log": { callClass: "read", reason: "git.log only reads a repository's history" },
  "docker.ps": { callClass: "read", reason: "docker.ps only lists containers" },
  "docker.logs": { callClass: "read", reason: "docker.logs only reads a container's logs" },
  "proc.list": { callClass: "read", reason: "proc.list only lists processes" },
  "fs.write": { callClass: "change", reason: "fs.write changes a file" },
  "docker.restart": { callClass: "change", reason: "docker.restart changes a container's state" },
  "proc.kill": { callClass: "change", reason: "proc.kill stops a process" },
  "pkg.install": {
    callClass: "run",
    reason: "pkg.install runs package maintainer scripts the policy cannot see into",
  },
  "git.pull": {
    callClass: "run",
    reason: "git.pull runs hooks and merge drivers the policy cannot see into",
  },
  "shell.eval": {
    callClass: "run",
    reason: "shell.eval runs a shell command line the policy cannot see into",
  },
};

export const DEFAULT_APPROVAL_CLASSES: readonly CallClass[] = ["change", "run"];

function isFixed(name: string): name is Fixed {
  return Object.prototype.hasOwnProperty.call(FIXED, name);
}

/** The class of a device-agent capability call; shell.exec by its argv. */
export function capabilityClass(
  flavor: PolicyFlavor,
  allowedPrograms: readonly string[],
  name: string,
  input: unknown,
): ClassVerdict | { refused: string } {
  if (isFixed(name)) return { ...FIXED[name] };
  if (name !== "shell.exec") return { refused: `${name} is not a capability this policy knows` };
  const argv: unknown =
    typeof input === "object" && input !== null ? (input as { argv?: unknown }).argv : undefined;
  if (!Array.isArray(argv)) return { refused: "shell.exec needs argv, a list of words" };
  const verdict = checkArgv(flavor, allowedPrograms, argv as unknown[]);
  if (!verdict.ok) return { refused: verdict.reason };
  return {
    callClass: verdict.callClass,
    reason: verdict.reason ?? `${String(argv[0])} is class ${verdict.callClass}`,
  };
}

export function approvalNeeded(
  verdict: ClassVerdict,
  name: string,
  approvalClasses: readonly CallClass[],
  approvalRequired: readonly string[],
): boolean {
  return approvalClasses.includes(verdict.callClass) || approvalRequired.includes(name);
}
