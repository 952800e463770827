import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { parseManifest, type Manifest } from "./schema";

/**
 * Renders a per-OS manifest template for one device. Called by the provisioning pipeline
 * on the bot (Node), so nothing here may need Bun.
 */
export type TemplateOs = "linux" | "windows" | "darwin";

/** Account names that are safe inside YAML, a glob and a path on every OS. */
const USER_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function renderManifest(
  template: string,
  vars: { user: string },
): { text: string; manifest: Manifest } {
  if (!USER_PATTERN.test(vars.user) || vars.user.includes("..")) {
    throw new Error(`cannot render a manifest for user "${vars.user}": letters, digits, . _ - only`);
  }
  const text = template.replace(/<user>/g, vars.user);
  // Render and check in one step: a template that does not parse must not reach a device.
  return { text, manifest: parseManifest(text, "rendered manifest") };
}

/** The template text for an OS, read from device-agent/templates (found from here, in source or dist). */
export function readManifestTemplate(os: TemplateOs, from: string = __dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, "device-agent", "templates", `manifest.${os}.yaml`);
    if (existsSync(candidate)) return readFileSync(candidate, "utf8");
    if (dirname(dir) === dir) throw new Error(`no manifest template for ${os} above ${from}`);
  }
}
