import { mkdtempSync, realpathSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defaultReadPrograms } from "../../../../common/policy";
import { pathAllowed } from "../../../../device-agent/manifest/paths";
import {
  readManifestTemplate,
  renderManifest,
  type TemplateOs,
} from "../../../../device-agent/manifest/render";
import { parseManifest } from "../../../../device-agent/manifest/schema";
import { CAPABILITY_NAMES } from "../../../../common/capabilities";

describe("manifest templates", () => {
  const cases: Array<[TemplateOs, "posix" | "windows", string, string, string]> = [
    ["linux", "posix", "/home/lucas", "/home/lucas/notes.txt", "/home/other/notes.txt"],
    ["darwin", "posix", "/Users/lucas", "/Users/lucas/notes.txt", "/Users/other/notes.txt"],
    [
      "windows",
      "windows",
      "C:\\Users\\Lucas Smith",
      "c:/users/LUCAS SMITH/notes.txt",
      "C:\\Users\\Other\\notes.txt",
    ],
  ];

  test.each(cases)(
    "%s renders for a home, parses, allows only that home, and lets shell.exec only read",
    (os, flavor, home, inside, outside) => {
      const { text, manifest } = renderManifest(readManifestTemplate(os), { user: "lucas", home });
      expect(text).not.toMatch(/<user>|<home>/);
      expect(manifest.capabilities.enabled).toEqual([...CAPABILITY_NAMES]);
      expect(manifest.capabilities.approval_classes).toEqual(["change", "run"]);
      expect(manifest.capabilities.approval_required).toEqual([]);
      expect(manifest.default_cwd).toBe(home);
      expect(pathAllowed(flavor, inside, manifest.paths_allowed)).toBe(true);
      expect(pathAllowed(flavor, outside, manifest.paths_allowed)).toBe(false);
      const readOnly = new Set(defaultReadPrograms(os));
      expect(manifest.shell.binaries_allowed.filter((p) => !readOnly.has(p))).toEqual([]);
      expect(manifest.shell.binaries_allowed).not.toEqual(expect.arrayContaining(["git"]));
    },
  );

  test("root's home is what its account database says, not /home/root", () => {
    const rootHome = realpathSync(mkdtempSync(join(tmpdir(), "mp-roothome-")));
    const { manifest } = renderManifest(readManifestTemplate("linux"), { user: "root", home: rootHome });
    expect(manifest.default_cwd).toBe(rootHome);
    expect(pathAllowed("posix", join(rootHome, "x"), manifest.paths_allowed)).toBe(true);
    expect(pathAllowed("posix", "/home/root/x", manifest.paths_allowed)).toBe(false);
    expect(() => renderManifest(readManifestTemplate("linux"), { user: "root" })).toThrow(/home/);
  });

  test("a user name or home that could escape the glob or the YAML is refused", () => {
    const template = readManifestTemplate("linux");
    for (const user of ["../root", "a/b", "x y", "a'b", "", "..", "-rf"]) {
      expect(() => renderManifest(template, { user, home: "/home/x" })).toThrow(/cannot render/);
    }
    for (const home of [
      "relative",
      "/",
      "/home/../etc",
      "/home/x'y",
      "/home/*",
      "/home/x\n- /",
      "/home/a#b",
      "C:\\",
    ]) {
      expect(() => renderManifest(template, { user: "lucas", home })).toThrow(/cannot render/);
    }
  });

  test("an unknown key or capability is an error naming it", () => {
    const base = renderManifest(readManifestTemplate("linux"), { user: "lucas", home: "/home/lucas" }).text;
    expect(() => parseManifest(`${base}\nextra: 1\n`)).toThrow(/extra/);
    expect(() => parseManifest(base.replace("shell.eval]", "shell.evil]"))).toThrow(/capabilities\.enabled/);
    expect(() => parseManifest(base.replace("[change, run]", "[change, sudo]"))).toThrow(/approval_classes/);
  });
});
