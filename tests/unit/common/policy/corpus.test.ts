/**
 * The security corpus: every escape attempt is refused with a sentence, or accepted with
 * exactly the listed words typed as paths (so the runner checks them against paths_allowed).
 */
import { checkArgv, defaultReadPrograms, type PolicyFlavor } from "../../../../common/policy";
import { CORPUS, type Escape } from "./corpus";

/** Generous allow-lists: every grammar program, plus names that have no grammar at all. */
function allowed(flavor: PolicyFlavor): string[] {
  const extra = [
    "systemctl",
    "env",
    "xargs",
    "sh",
    "git",
    "docker",
    "awk",
    "find",
    "cmd",
    "powershell",
    "open",
  ];
  return [...defaultReadPrograms(flavor), ...extra];
}

const all: Escape[] = CORPUS.flatMap((g) => [...g.escapes]);

describe("escape corpus", () => {
  it("has at least 300 escapes", () => {
    expect(all.length).toBeGreaterThanOrEqual(300);
  });

  for (const { group, escapes } of CORPUS) {
    it(`handles ${group}`, () => {
      for (const e of escapes) {
        const verdict = checkArgv(e.flavor, allowed(e.flavor), e.argv);
        const shown = JSON.stringify(e.argv)?.slice(0, 120) ?? "";
        if (e.paths === undefined) {
          expect({ argv: shown, ok: verdict.ok }).toEqual({ argv: shown, ok: false });
          if (!verdict.ok) {
            expect(verdict.reason.length).toBeGreaterThan(10);
            expect(verdict.reason).not.toMatch(/[\n\r]/);
          }
        } else {
          expect({ argv: shown, ok: verdict.ok }).toEqual({ argv: shown, ok: true });
          if (verdict.ok) {
            expect({ argv: shown, paths: verdict.paths.map((p) => p.index) }).toEqual({
              argv: shown,
              paths: e.paths,
            });
            for (const p of verdict.paths) {
              expect(p.prefix + p.value).toBe(e.argv[p.index]);
            }
          }
        }
      }
    });
  }
});
