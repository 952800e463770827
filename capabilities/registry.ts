import { CALL_CLASSES, type CallClass, type PolicyFlavor } from "../common/policy/types";
import type { Device } from "../state/devices";
import type { Tool } from "./types";

/**
 * One way to get a device's tools, whichever backend it uses: the WireGuard provider for
 * mesh devices (signed HTTP to the device agent), the SSH provider for SSH-only hosts.
 */
export interface ToolRegistry {
  toolsFor(device: Device): Tool[];
}

export interface Providers {
  wg: { toolsFor(device: Device): Tool[] };
  ssh: { toolsFor(name: string): Tool[] };
}

export function toolRegistry(providers: Providers): ToolRegistry {
  return {
    toolsFor: (device) =>
      device.backend === "wg" ? providers.wg.toolsFor(device) : providers.ssh.toolsFor(device.name),
  };
}

/** The tool as the Anthropic Messages API wants it. */
export interface ToolDefinition {
  name: string;
  description: string;
  input_schema: { type: "object"; [key: string]: unknown };
}

/**
 * Anthropic tool names allow [a-zA-Z0-9_-] only, so `fs.list` is offered as `fs_list`;
 * the map back is kept by the caller (see toolNameMap). Which calls wait for an operator
 * is part of the tool's description (see approvalNote): it depends on each call's class.
 */
export function toolDefinition(tool: Tool): ToolDefinition {
  return {
    name: modelToolName(tool.name),
    description: tool.description,
    input_schema: { ...tool.inputSchema, type: "object" },
  };
}

/**
 * The sentence a tool's description ends with: which of its calls wait for an operator.
 * `classes` are the classes this tool's calls can have, when the policy knows them.
 */
export function approvalNote(
  name: string,
  approvalClasses: readonly CallClass[],
  approvalRequired: readonly string[],
  classes: readonly CallClass[] = CALL_CLASSES,
): string {
  if (approvalRequired.includes(name)) return "Every call waits for an operator's approval.";
  const waiting = classes.filter((c) => approvalClasses.includes(c));
  const immediate = classes.filter((c) => !approvalClasses.includes(c));
  if (waiting.length === 0) return "Runs without waiting for an operator.";
  if (classes.length === 1)
    return `Every call is a ${classList(classes)} call: it waits for an operator's approval.`;
  if (immediate.length === 0) return "Every call waits for an operator's approval, whatever its class.";
  return `Each call gets a class (${classes.join(", ")}) from its exact arguments: ${classList(immediate)} calls run at once, ${classList(waiting)} calls wait for an operator's approval.`;
}

/** ["read", "change", "run"] → "read, change and run". */
export function classList(classes: readonly string[]): string {
  if (classes.length <= 1) return classes[0] ?? "no";
  return `${classes.slice(0, -1).join(", ")} and ${classes[classes.length - 1] ?? ""}`;
}

/** The policy flavor of a device from its row's `os` (lower-case uname, or "windows"); Linux when unknown. */
export function policyFlavor(os: string | null | undefined): PolicyFlavor {
  const name = (os ?? "").toLowerCase();
  if (name === "darwin" || name === "macos") return "darwin";
  if (
    name.startsWith("windows") ||
    name.startsWith("mingw") ||
    name.startsWith("msys") ||
    name.startsWith("cygwin")
  )
    return "windows";
  return "linux";
}

export function modelToolName(name: string): string {
  return name.replace(/[^a-zA-Z0-9_-]/g, "_");
}

/** Finds a tool by the name the model used (fs_list) or its own (fs.list). */
export function toolNameMap(tools: readonly Tool[]): Map<string, Tool> {
  const map = new Map<string, Tool>();
  for (const tool of tools) {
    map.set(modelToolName(tool.name), tool);
    map.set(tool.name, tool);
  }
  return map;
}
