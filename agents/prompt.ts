import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Tool } from "../capabilities/types";
import type { Device } from "../state/devices";

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
  const manifest = parseJson(device.manifest);
  const paths = stringList(manifest.paths_allowed ?? manifest.pathsAllowed);
  const shell = manifest.shell as { binaries_allowed?: unknown } | undefined;
  const binaries = stringList(shell?.binaries_allowed ?? manifest.allowedBinaries);
  const approval = tools.filter((t) => t.needsApproval).map((t) => t.name);
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
    tools: tools
      .map((t) => `- ${t.name}: ${t.description}${t.needsApproval ? " (needs approval)" : ""}`)
      .join("\n"),
    approval_tools: approval.length > 0 ? approval.join(", ") : "none",
  };
}

/** prompts/<backend>.md, found from here upwards: works from the source tree and from dist/. */
export function readPromptTemplate(backend: Device["backend"], from: string = __dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, "prompts", `${backend}.md`);
    if (existsSync(candidate)) return readFileSync(candidate, "utf8");
    if (dirname(dir) === dir) throw new Error(`no prompt template prompts/${backend}.md above ${from}`);
  }
}

function parseJson(text: string | null): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text ?? "{}");
    return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}
