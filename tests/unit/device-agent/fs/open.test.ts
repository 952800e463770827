import { mkdirSync, mkdtempSync, readFileSync, realpathSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeContext } from "../../../../device-agent/agent";
import { checkPath, openChecked, PathFailure } from "../../../../device-agent/fs/open";
import { writeChecked } from "../../../../device-agent/fs/write";
import { manifestSchema } from "../../../../device-agent/manifest/schema";
import { RefusalError } from "../../../../device-agent/policy";

/** Real files and symlinks: what is judged is where the open descriptor really is. */
describe("paths opened, then checked by their descriptor", () => {
  const root = realpathSync(mkdtempSync(join(tmpdir(), "mp-open-")));
  const home = join(root, "home");
  const outside = join(root, "outside");
  mkdirSync(join(home, "docs"), { recursive: true });
  mkdirSync(outside);
  writeFileSync(join(outside, "secret"), "x");
  writeFileSync(join(home, "docs", "note"), "inside");
  symlinkSync(outside, join(home, "link-out"));
  symlinkSync(join(home, "docs"), join(home, "link-in"));
  symlinkSync(join(outside, "secret"), join(home, "secret-link"));
  const ctx = makeContext(
    manifestSchema.parse({
      version: 1,
      capabilities: { enabled: ["fs.read"] },
      paths_allowed: [`${home}/**`],
      default_cwd: home,
    }),
  );
  const realOf = async (path: string, kind: "file" | "dir" | "any"): Promise<string> => {
    const opened = await openChecked(ctx, path, kind);
    await opened.handle.close();
    return opened.real;
  };

  test("a symlink that leads outside is refused, one that stays inside is followed", async () => {
    await expect(realOf(join(home, "link-out", "secret"), "file")).rejects.toThrow(RefusalError);
    await expect(realOf(join(home, "link-out"), "dir")).rejects.toThrow(/really/);
    await expect(realOf(join(home, "secret-link"), "file")).rejects.toThrow(/really/);
    await expect(realOf(join(home, "link-in"), "dir")).resolves.toBe(join(home, "docs"));
    await expect(realOf(join(home, "link-in", "note"), "file")).resolves.toBe(join(home, "docs", "note"));
  });

  test("a new file under a symlinked directory is checked where it would land", async () => {
    await expect(
      writeChecked(ctx, join(home, "link-out", "new.txt"), Buffer.from("x"), "create"),
    ).rejects.toThrow(RefusalError);
    await expect(writeChecked(ctx, join(home, "docs", "new.txt"), Buffer.from("y"), "create")).resolves.toBe(
      join(home, "docs", "new.txt"),
    );
    // The name itself a symlink (even to a file inside): never written through.
    await expect(writeChecked(ctx, join(home, "secret-link"), Buffer.from("z"), "overwrite")).rejects.toThrow(
      /symbolic link/,
    );
    expect(readFileSync(join(outside, "secret"), "utf8")).toBe("x");
  });

  test("`..` out of the allowed tree is refused; a relative path is refused", async () => {
    await expect(realOf(`${home}/docs/../../outside/secret`, "file")).rejects.toThrow(RefusalError);
    await expect(realOf("relative/path", "file")).rejects.toThrow(/absolute/);
  });

  test("a missing path is an ordinary failure naming it, which the pre-check lets through", async () => {
    await expect(realOf(join(home, "nope"), "dir")).rejects.toThrow(
      new PathFailure(`${join(home, "nope")} does not exist`),
    );
    await expect(checkPath(ctx, join(home, "nope"), "file")).resolves.toBeUndefined();
    await expect(checkPath(ctx, join(outside, "secret"), "file")).rejects.toThrow(RefusalError);
  });

  test("a missing or unreadable path outside is refused, never said not to exist (no existence oracle)", async () => {
    await expect(realOf(join(outside, "nope"), "file")).rejects.toThrow(RefusalError);
    await expect(realOf(`${home}/../outside/nope/deeper`, "file")).rejects.toThrow(
      /outside the allowed paths/,
    );
    await expect(realOf(join(home, "link-out", "nope"), "file")).rejects.toThrow(/really/);
    await expect(realOf("/nonexistent-root-dir/x", "any")).rejects.toThrow(RefusalError);
  });
});
