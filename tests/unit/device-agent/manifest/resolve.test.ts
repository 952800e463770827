import { mkdirSync, mkdtempSync, realpathSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeContext } from "../../../../device-agent/agent";
import { manifestSchema } from "../../../../device-agent/manifest/schema";
import { resolveRealPath } from "../../../../device-agent/manifest/resolve";
import { RefusalError } from "../../../../device-agent/policy";

/** Real files and symlinks: the policy must judge where a path really lands. */
describe("paths resolved before they are checked", () => {
  const root = realpathSync(mkdtempSync(join(tmpdir(), "mp-resolve-")));
  const home = join(root, "home");
  const outside = join(root, "outside");
  mkdirSync(join(home, "docs"), { recursive: true });
  mkdirSync(outside);
  writeFileSync(join(outside, "secret"), "x");
  symlinkSync(outside, join(home, "link-out"));
  symlinkSync(join(home, "docs"), join(home, "link-in"));
  const policy = makeContext(
    manifestSchema.parse({
      version: 1,
      capabilities: { enabled: ["fs.read"] },
      paths_allowed: [`${home}/**`],
      default_cwd: home,
    }),
  ).policy;

  test("a symlink that leads outside is refused, one that stays inside is followed", async () => {
    await expect(policy.allowedPath(join(home, "link-out", "secret"))).rejects.toThrow(RefusalError);
    await expect(policy.allowedPath(join(home, "link-out"))).rejects.toThrow(/really/);
    await expect(policy.allowedPath(join(home, "link-in"))).resolves.toBe(join(home, "docs"));
  });

  test("a new file under a symlinked directory is checked where it would land", async () => {
    expect(await resolveRealPath(join(home, "link-out", "new", "file.txt"))).toBe(
      join(outside, "new", "file.txt"),
    );
    await expect(policy.allowedPath(join(home, "link-out", "new.txt"))).rejects.toThrow(RefusalError);
    await expect(policy.allowedPath(join(home, "docs", "new.txt"))).resolves.toBe(
      join(home, "docs", "new.txt"),
    );
  });

  test("`..` out of the allowed tree is refused", async () => {
    await expect(policy.allowedPath(`${home}/docs/../../outside/secret`)).rejects.toThrow(RefusalError);
    await expect(policy.allowedPath("relative/path")).rejects.toThrow(/absolute/);
  });
});
