import { formatCapabilityResult } from "../../../../capabilities/wg/format";

describe("a device-agent result as the model reads it", () => {
  test("a listing is one line per entry, with a header that says when not all are shown", () => {
    const result = formatCapabilityResult("fs.list", {
      ok: true,
      exitCode: 0,
      data: {
        path: "/home/u",
        total: 3,
        entries: [
          { name: "notes", type: "file", size: 1234, mtime: "2026-05-02T14:05:59.000Z" },
          { name: "src", type: "dir" },
        ],
      },
    });
    expect(result).toEqual({
      ok: true,
      output: [
        "/home/u: 3 entries (2 shown)",
        "file          1234  2026-05-02 14:05  notes",
        "dir              -  -  src",
      ].join("\n"),
      truncated: false,
      exitCode: 0,
    });
  });

  test("a full listing says no '(shown)'", () => {
    const result = formatCapabilityResult("fs.list", {
      ok: true,
      data: { path: "/d", total: 1, entries: [{ name: "a", type: "file", size: 0, mtime: "x" }] },
    });
    expect(result.output.split("\n")[0]).toBe("/d: 1 entries");
    expect(result.exitCode).toBeNull();
  });

  test("other data is JSON, except fs.read's, whose text is in stdout", () => {
    expect(formatCapabilityResult("proc.list", { ok: true, data: { pids: [1] } }).output).toBe(
      '{"pids":[1]}',
    );
    expect(formatCapabilityResult("fs.read", { ok: true, data: { size: 3 }, stdout: "abc" }).output).toBe(
      "abc",
    );
    expect(formatCapabilityResult("fs.list", { ok: true, data: { not: "a listing" } }).output).toBe(
      '{"not":"a listing"}',
    );
  });

  test("markers follow the output: stderr, the agent's cut, the error, a non-zero exit code", () => {
    const result = formatCapabilityResult("shell.exec", {
      ok: false,
      exitCode: 2,
      stdout: "partial\n",
      stderr: "grep: x: No such file\n",
      truncated: true,
      error: "exit status 2",
    });
    expect(result).toEqual({
      ok: false,
      output: [
        "partial",
        "",
        "[stderr]",
        "grep: x: No such file",
        "",
        "[the device agent cut this output at its manifest limit]",
        "[error: exit status 2]",
        "[exit code 2]",
      ].join("\n"),
      truncated: true,
      exitCode: 2,
    });
  });

  test("blank stderr and a zero exit code add nothing; no output at all is said so", () => {
    expect(formatCapabilityResult("shell.exec", { ok: true, exitCode: 0, stderr: "  \n" })).toEqual({
      ok: true,
      output: "(no output)",
      truncated: false,
      exitCode: 0,
    });
    expect(formatCapabilityResult("shell.exec", { exitCode: null }).output).toBe("(failed, no output)");
    expect(formatCapabilityResult("shell.exec", { exitCode: null }).ok).toBe(false);
  });
});
