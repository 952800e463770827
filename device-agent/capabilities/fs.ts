import { createHash } from "node:crypto";
import { lstat, open, readdir, stat, writeFile, appendFile } from "node:fs/promises";
import { join } from "node:path";
import { capability, type CapabilityResult } from "./types";

/** fs.read, fs.list, fs.write: every path resolved to its real location and checked first. */

export const fsRead = capability({
  name: "fs.read",
  async check(input, ctx) {
    await ctx.policy.allowedPath(input.path);
  },
  async execute(input, ctx): Promise<CapabilityResult> {
    const real = await ctx.policy.allowedPath(input.path);
    const info = await stat(real);
    if (!info.isFile()) return failure(`${input.path} is not a regular file`);
    const offset = input.offset ?? 0;
    const want = Math.min(input.max_bytes ?? ctx.policy.limits.read_bytes, ctx.policy.limits.read_bytes);
    const handle = await open(real, "r");
    try {
      const buffer = Buffer.alloc(Math.max(0, Math.min(want, info.size - offset)));
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, offset);
      const content = buffer.subarray(0, bytesRead);
      // Text unless it has NUL bytes: then base64, so nothing is mangled on the way.
      const binary = content.includes(0);
      return {
        ok: true,
        exitCode: 0,
        stdout: content.toString(binary ? "base64" : "utf8"),
        data: { encoding: binary ? "base64" : "utf8", size: info.size, offset, read: bytesRead },
        truncated: offset + bytesRead < info.size,
        bytes: bytesRead,
      };
    } finally {
      await handle.close();
    }
  },
});

export const fsList = capability({
  name: "fs.list",
  async check(input, ctx) {
    await ctx.policy.allowedPath(input.path);
  },
  async execute(input, ctx): Promise<CapabilityResult> {
    const real = await ctx.policy.allowedPath(input.path);
    if (!(await stat(real)).isDirectory()) return failure(`${input.path} is not a directory`);
    const names = (await readdir(real)).sort();
    const limit = ctx.policy.limits.list_entries;
    const entries = [];
    for (const name of names.slice(0, limit)) {
      // lstat: a symlink is reported as one, not followed (its target may be outside the allowed paths).
      const info = await lstat(join(real, name)).catch(() => undefined);
      entries.push({
        name,
        type: !info
          ? "unknown"
          : info.isDirectory()
            ? "dir"
            : info.isFile()
              ? "file"
              : info.isSymbolicLink()
                ? "symlink"
                : "other",
        size: info?.size ?? null,
        mtime: info ? info.mtime.toISOString() : null,
      });
    }
    return {
      ok: true,
      exitCode: 0,
      data: { path: real, entries, total: names.length },
      truncated: names.length > limit,
      bytes: 0,
    };
  },
});

export const fsWrite = capability({
  name: "fs.write",
  async check(input, ctx) {
    await ctx.policy.allowedPath(input.path);
  },
  auditArgs(input) {
    // The audit keeps what was written as a hash: content can be large or secret.
    const content = Buffer.from(input.content, input.encoding ?? "utf8");
    return {
      path: input.path,
      mode: input.mode ?? "create",
      bytes: content.length,
      sha256: createHash("sha256").update(content).digest("hex"),
    };
  },
  async execute(input, ctx): Promise<CapabilityResult> {
    const real = await ctx.policy.allowedPath(input.path);
    const content = Buffer.from(input.content, input.encoding ?? "utf8");
    if (content.length > ctx.policy.limits.write_bytes) {
      return failure(
        `the content is ${content.length} bytes, more than the ${ctx.policy.limits.write_bytes} allowed`,
      );
    }
    const mode = input.mode ?? "create";
    try {
      if (mode === "append") await appendFile(real, content);
      else await writeFile(real, content, { flag: mode === "create" ? "wx" : "w" });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "EEXIST") return failure(`${input.path} already exists (use mode overwrite or append)`);
      if (code === "ENOENT") return failure(`the directory of ${input.path} does not exist`);
      throw error;
    }
    return {
      ok: true,
      exitCode: 0,
      data: { path: real, written: content.length, mode },
      truncated: false,
      bytes: content.length,
    };
  },
});

function failure(error: string): CapabilityResult {
  return { ok: false, exitCode: null, truncated: false, bytes: 0, error };
}
