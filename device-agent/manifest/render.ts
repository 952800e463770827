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

/**
 * A home directory that is safe inside a single-quoted YAML scalar and a glob: absolute
 * (POSIX, or a Windows drive path), no `..` segment, no glob or quote characters.
 */
const HOME_PATTERN = /^(?:\/|[A-Za-z]:\\)[A-Za-z0-9._ /\\@+-]{0,4000}$/;

export function validHome(home: string): boolean {
  return HOME_PATTERN.test(home) && !/(^|[\\/])\.\.([\\/]|$)/.test(home) && !/[\\/]{2}/.test(home.slice(1));
}

/**
 * `home` is the account's home as its OS has it (provisioning reads it with accountHome:
 * root's is /root, not /home/root). Without one, the usual place for an ordinary POSIX
 * account is assumed — for tests and benchmarks only; never for root.
 */
export function renderManifest(
  template: string,
  vars: { user: string; home?: string },
): { text: string; manifest: Manifest } {
  if (!USER_PATTERN.test(vars.user) || vars.user.includes("..")) {
    throw new Error(`cannot render a manifest for user "${vars.user}": letters, digits, . _ - only`);
  }
  if (vars.home === undefined && vars.user === "root") {
    throw new Error("cannot render a manifest for root without its home directory (it is not /home/root)");
  }
  const home = (vars.home ?? `/home/${vars.user}`).replace(/(.)[\\/]+$/, "$1");
  if (!validHome(home)) {
    throw new Error(
      `cannot render a manifest with home "${home}": an absolute path without .., quotes or glob characters`,
    );
  }
  // A home of "/" would allow everything under /**: refuse it like any other unsafe home.
  if (home === "/" || /^[A-Za-z]:\\?$/.test(home))
    throw new Error(`cannot render a manifest with home "${home}"`);
  const text = template.replace(/<home>/g, home).replace(/<user>/g, vars.user);
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
