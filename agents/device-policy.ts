import { classList } from "../capabilities/registry";
import type { ApprovalNeed } from "../capabilities/types";
import { DEFAULT_APPROVAL_CLASSES } from "../common/policy";
import { CALL_CLASSES, type CallClass } from "../common/policy/types";
import type { Device } from "../state/devices";

/**
 * What a device's stored manifest says about approvals, read defensively: the row is JSON
 * written by provisioning (a WireGuard manifest, or the bot-side policy of an SSH host),
 * and an older row may lack approval_classes.
 */
export interface ApprovalPolicy {
  classes: readonly CallClass[];
  /** Tools whose every call needs an operator, whatever its class. */
  required: readonly string[];
}

export function approvalPolicy(device: Pick<Device, "manifest">): ApprovalPolicy {
  const manifest = parseManifestJson(device.manifest);
  const capabilities = record(manifest.capabilities);
  const classes = stringList(capabilities.approval_classes).filter((c): c is CallClass =>
    (CALL_CLASSES as readonly string[]).includes(c),
  );
  return {
    classes: Array.isArray(capabilities.approval_classes) ? classes : DEFAULT_APPROVAL_CLASSES,
    required: stringList(capabilities.approval_required),
  };
}

/** "approval is needed for change and run calls (approval_classes in pc1's manifest)". */
export function approvalRule(
  device: Pick<Device, "name" | "manifest">,
  tool: string,
  need: ApprovalNeed,
): string {
  const policy = approvalPolicy(device);
  if (policy.classes.includes(need.callClass))
    return `approval is needed for ${classList(policy.classes)} calls (approval_classes in ${device.name}'s manifest)`;
  if (policy.required.includes(tool))
    return `approval is needed for every ${tool} call (approval_required in ${device.name}'s manifest)`;
  return `meshpilot asks for approval of this call`;
}

export function parseManifestJson(text: string | null): Record<string, unknown> {
  try {
    return record(JSON.parse(text ?? "{}"));
  } catch {
    return {};
  }
}

export function record(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

export function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}
