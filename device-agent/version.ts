/**
 * The build's identity, "meshpilot-device-agent <version> <os>-<arch>", injected by
 * scripts/build-agent.ts with `bun build --define`. The string is embedded as is, so
 * the smoke tests can find it in executables they cannot run (Windows, macOS).
 */
declare const MESHPILOT_AGENT_BUILD: string | undefined;

export const AGENT_BUILD: string =
  typeof MESHPILOT_AGENT_BUILD === "string"
    ? MESHPILOT_AGENT_BUILD
    : "meshpilot-device-agent 0.0.0-dev source";

export const AGENT_VERSION: string = AGENT_BUILD.split(" ")[1] ?? "0.0.0-dev";

export function buildId(version: string, target: string): string {
  return `meshpilot-device-agent ${version} ${target}`;
}
