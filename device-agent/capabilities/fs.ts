import { createHash } from "node:crypto";
import { lstat, readdir } from "node:fs/promises";
import { join } from "node:path";
import { checkPath, openChecked } from "../fs/open";
import { checkWriteTarget, writeChecked } from "../fs/write";
import { capability, type CapabilityResult } from "./types";

/**
 * fs.read, fs.list, fs.write: each opens first, checks the real path of the open
 * descriptor, then uses that descriptor (see fs/open.ts). `check` does the same open and
 * closes it, so a path outside the allowed ones is refused before anything is audited as run.
 */

export const fsRead = capability({
  name: "fs.read",
  check: (input, ctx) => checkPath(ctx, input.path, "file"),
  async execute(input, ctx): Promise<CapabilityResult> {
    const { handle, info } = await openChecked(ctx, input.path, "file");
    try {
      const offset = input.offset ?? 0;
      const want = Math.min(input.max_bytes ?? ctx.policy.limits.read_bytes, ctx.policy.limits.read_bytes);
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
  check: (input, ctx) => checkPath(ctx, input.path, "dir"),
  async execute(input, ctx): Promise<CapabilityResult> {
    const dir = await openChecked(ctx, input.path, "dir");
    try {
      // `via` reaches the opened directory itself (Linux: /proc/self/fd/N), not the name again.
      const names = (await readdir(dir.via)).sort();
      const limit = ctx.policy.limits.list_entries;
      const entries = [];
      for (const name of names.slice(0, limit)) {
        // lstat: a symlink is reported as one, not followed (its target may be outside the allowed paths).
        const info = await lstat(join(dir.via, name)).catch(() => undefined);
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
        data: { path: dir.real, entries, total: names.length },
        truncated: names.length > limit,
        bytes: 0,
      };
    } finally {
      await dir.handle.close();
    }
  },
});

export const fsWrite = capability({
  name: "fs.write",
  check: (input, ctx) => checkWriteTarget(ctx, input.path),
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
    const content = Buffer.from(input.content, input.encoding ?? "utf8");
    if (content.length > ctx.policy.limits.write_bytes) {
      return failure(
        `the content is ${content.length} bytes, more than the ${ctx.policy.limits.write_bytes} allowed`,
      );
    }
    const mode = input.mode ?? "create";
    const real = await writeChecked(ctx, input.path, content, mode);
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
