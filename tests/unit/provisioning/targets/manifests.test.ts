import { posix, win32 } from "node:path";
import { parseAgentConfig } from "../../../../device-agent/config";
import { pathAllowed } from "../../../../device-agent/manifest/paths";
import { readManifestTemplate, renderManifest, validHome } from "../../../../device-agent/manifest/render";
import { darwinTarget } from "../../../../provisioning/targets/darwin";
import { windowsLayout } from "../../../../provisioning/targets/windows";
import { agentConfigYaml } from "../../../../provisioning/wg/agent-install";

/**
 * What install-agent writes on a Mac and a Windows PC, rendered with the home detection
 * found and read back by the agent's own parsers (manifest schema, config loader).
 */
describe("per-OS manifests and agent config", () => {
  test("macOS: the manifest for /Users/ana allows the home and /private/tmp, and parses", () => {
    const { manifest, text } = renderManifest(readManifestTemplate("darwin"), {
      user: "ana",
      home: "/Users/ana",
    });
    expect(text).toContain("  - '/Users/ana/**'");
    expect(manifest.default_cwd).toBe("/Users/ana");
    expect(pathAllowed("posix", "/Users/ana/Documents/x.txt", manifest.paths_allowed)).toBe(true);
    expect(pathAllowed("posix", "/private/tmp/x", manifest.paths_allowed)).toBe(true);
    expect(pathAllowed("posix", "/Users/bo/x", manifest.paths_allowed)).toBe(false);
  });

  test("Windows: the manifest for C:\\Users\\Ana Lopez keeps its backslashes and space, and parses", () => {
    const home = "C:\\Users\\Ana Lopez";
    expect(validHome(home)).toBe(true);
    const { manifest, text } = renderManifest(readManifestTemplate("windows"), { user: "ana", home });
    expect(text).toContain("  - 'C:\\Users\\Ana Lopez\\**'");
    expect(manifest.default_cwd).toBe(home);
    expect(pathAllowed("windows", "c:/users/ana lopez/Desktop/x.txt", manifest.paths_allowed)).toBe(true);
    expect(pathAllowed("windows", "C:\\Users\\Bo\\x", manifest.paths_allowed)).toBe(false);
  });

  test("a home the manifest cannot hold is refused before anything is installed (connect's check)", () => {
    for (const home of ["C:\\Users\\o'brien", "C:\\Users\\A & B", "C:\\Users\\José", "/Users/$x"])
      expect([home, validHome(home)]).toEqual([home, false]);
  });

  test.each([
    ["macOS", darwinTarget.layout("/Users/ana")],
    ["Windows", windowsLayout("C:\\Users\\Ana Lopez")],
  ])("%s: the agent's config names the layout's files, as the agent reads them", (_, layout) => {
    const config = parseAgentConfig(agentConfigYaml("10.77.0.5", 7443, layout), layout.config);
    expect(config.listen).toEqual({ address: "10.77.0.5", port: 7443 });
    // The values survive YAML whole (backslashes, the space); the agent on Windows reads them
    // with win32 path rules, where they are absolute — here (POSIX) they get a prefix.
    const absolute = layout.secret.startsWith("/") ? posix.isAbsolute : win32.isAbsolute;
    for (const [got, want] of [
      [config.secret_file, layout.secret],
      [config.manifest, layout.manifest],
      [config.audit_db, layout.audit],
    ] as const) {
      expect(got.endsWith(want)).toBe(true);
      expect(absolute(want)).toBe(true);
    }
  });
});
