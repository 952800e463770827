import { pathAllowed } from "../../../../device-agent/manifest/paths";
import {
  readManifestTemplate,
  renderManifest,
  type TemplateOs,
} from "../../../../device-agent/manifest/render";
import { parseManifest } from "../../../../device-agent/manifest/schema";
import { CAPABILITY_NAMES } from "../../../../common/capabilities";

describe("manifest templates", () => {
  const cases: Array<[TemplateOs, "posix" | "windows", string, string]> = [
    ["linux", "posix", "/home/lucas/notes.txt", "/home/other/notes.txt"],
    ["darwin", "posix", "/Users/lucas/notes.txt", "/Users/other/notes.txt"],
    ["windows", "windows", "c:/users/LUCAS/notes.txt", "C:\\Users\\Other\\notes.txt"],
  ];

  test.each(cases)(
    "%s renders for a user, parses, and allows only that user's home",
    (os, flavor, inside, outside) => {
      const { text, manifest } = renderManifest(readManifestTemplate(os), { user: "lucas" });
      expect(text).not.toContain("<user>");
      expect(manifest.capabilities.enabled).toEqual([...CAPABILITY_NAMES]);
      expect(manifest.capabilities.approval_required).toEqual(
        expect.arrayContaining(["shell.eval", "pkg.install", "proc.kill"]),
      );
      expect(pathAllowed(flavor, inside, manifest.paths_allowed)).toBe(true);
      expect(pathAllowed(flavor, outside, manifest.paths_allowed)).toBe(false);
    },
  );

  test("a user name that could escape the glob or the YAML is refused", () => {
    const template = readManifestTemplate("linux");
    for (const user of ["../root", "a/b", "x y", "a'b", "", "..", "-rf"]) {
      expect(() => renderManifest(template, { user })).toThrow(/cannot render/);
    }
  });

  test("an unknown key or capability is an error naming it", () => {
    const base = renderManifest(readManifestTemplate("linux"), { user: "lucas" }).text;
    expect(() => parseManifest(`${base}\nextra: 1\n`)).toThrow(/extra/);
    expect(() => parseManifest(base.replace("shell.eval]", "shell.evil]"))).toThrow(/capabilities\.enabled/);
  });
});
