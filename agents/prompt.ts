import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { classList } from "../capabilities/registry";
import type { Tool } from "../capabilities/types";
import { CALL_CLASSES } from "../common/policy/types";
import type { Device } from "../state/devices";
import { approvalPolicy, parseManifestJson, record, stringList } from "./device-policy";

/**
 * System prompts from templates in prompts/<backend>.md, with {{name}} placeholders. A
 * placeholder without a value is an error: a prompt must never reach the model half-filled.
 */
export type PromptVars = Record<string, string>;

export function renderPrompt(template: string, vars: PromptVars): string {
  const missing = new Set<string>();
  const text = template.replace(/\{\{([a-z_]+)\}\}/g, (_all, key: string) => {
    const value = vars[key];
    if (value === undefined) missing.add(key);
    return value ?? "";
  });
  if (missing.size > 0) throw new Error(`prompt template: no value for ${[...missing].join(", ")}`);
  return text;
}

/** The facts a device's prompt is filled with: from its row, its manifest and its tools. */
export function promptVars(device: Device, tools: readonly Tool[], agentPort: number): PromptVars {
  const manifest = parseManifestJson(device.manifest);
  const paths = stringList(manifest.paths_allowed ?? manifest.pathsAllowed);
  const binaries = stringList(record(manifest.shell).binaries_allowed ?? manifest.allowedBinaries);
  const address =
    device.backend === "wg"
      ? `${device.mesh_ip ?? "?"}:${agentPort}`
      : `${device.ssh_user ?? "?"}@${device.ssh_host ?? "?"}${device.ssh_port && device.ssh_port !== 22 ? `:${device.ssh_port}` : ""}`;
  return {
    device: device.name,
    os: device.os_pretty ?? device.os ?? "unknown OS",
    arch: device.arch ?? "unknown architecture",
    backend: device.backend,
    address,
    paths: paths.length > 0 ? paths.join(", ") : "none",
    binaries: binaries.length > 0 ? binaries.join(", ") : "none",
    tools: tools.map((t) => `- ${t.name}: ${t.description.replace(/\n/g, "\n    ")}`).join("\n"),
    approval: approvalSentence(device, tools),
  };
}

/** Which classes wait for an operator on this device, and which tools wait whatever the class. */
export function approvalSentence(device: Pick<Device, "manifest">, tools: readonly Tool[]): string {
  const policy = approvalPolicy(device);
  const names = new Set(tools.map((t) => t.name));
  const required = policy.required.filter((n) => names.has(n));
  const immediate = CALL_CLASSES.filter((c) => !policy.classes.includes(c));
  const classes =
    policy.classes.length === 0
      ? "On this device no class waits for an operator: every call runs at once."
      : `On this device ${classList(immediate)} calls run at once; ${classList(policy.classes)} calls wait for an operator's approval.`;
  return required.length > 0
    ? `${classes} Every call of ${required.join(", ")} waits for approval whatever its class.`
    : classes;
}

/** prompts/<backend>.md, found from here upwards: works from the source tree and from dist/. */
export function readPromptTemplate(backend: Device["backend"], from: string = __dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, "prompts", `${backend}.md`);
    if (existsSync(candidate)) return readFileSync(candidate, "utf8");
    if (dirname(dir) === dir) throw new Error(`no prompt template prompts/${backend}.md above ${from}`);
  }
}
