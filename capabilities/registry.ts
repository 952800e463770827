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
 * the map back is kept by the caller (see toolNameMap).
 */
export function toolDefinition(tool: Tool): ToolDefinition {
  const suffix = tool.needsApproval ? " Needs an operator's approval: the operator is asked first." : "";
  return {
    name: modelToolName(tool.name),
    description: `${tool.description}${suffix}`,
    input_schema: { ...tool.inputSchema, type: "object" },
  };
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
