import { judgeOutput } from "../../../../capabilities/ssh/output";
import type { SshManifest } from "../../../../capabilities/ssh/policy";
import type { OpenedPath, ScriptPlan } from "../../../../capabilities/ssh/remote-script";
import type { ExecResult } from "../../../../ssh/exec";

const N = "mpNONCE";
const manifest: SshManifest = {
  user: "viewer",
  home: "/home/viewer",
  allowedBinaries: ["cat", "ls"],
  pathsAllowed: ["/home/viewer/**"],
  maxOutputBytes: 10,
  timeoutS: 5,
};
const plan = (...opened: OpenedPath[]): ScriptPlan => ({ nonce: N, opened, argv: [] });
const file = (path: string): OpenedPath => ({ path, want: "file" });

/** The script's stdout: its header (pid, one line per descriptor), the end marker, the program's output. */
function stdout(entries: string[], body = "", pid = "4242"): string {
  return [`${N}:pid:${pid}`, ...entries.map((e) => `${N}:${e}`), `${N}:end`, ""].join("\n") + body;
}
function exec(over: Partial<ExecResult>): ExecResult {
  return {
    exitCode: 0,
    signal: null,
    stdout: "",
    stderr: "",
    bytes: 0,
    truncated: false,
    timedOut: false,
    ...over,
  };
}

describe("judgeOutput", () => {
  test("every descriptor inside: the output, its /proc paths mapped back, stderr and markers after it", () => {
    const judged = judgeOutput(
      exec({
        exitCode: 1,
        stdout: stdout(["3:file:/home/viewer/a"], "/proc/4242/fd/3\n"),
        stderr: "cat: /proc/4242/fd/3: oops\n",
      }),
      plan(file("/home/viewer/a")),
      { ...manifest, maxOutputBytes: 100 },
    );
    expect(judged).toEqual({
      result: {
        ok: false,
        output: "/home/viewer/a\n\n[stderr]\ncat: /home/viewer/a: oops\n\n[exit code 1]",
        truncated: false,
        exitCode: 1,
      },
    });
  });

  test("output over max_output_bytes is cut at it; exactly at it is not", () => {
    const plan1 = plan(file("/home/viewer/a"));
    const at = judgeOutput(
      exec({ stdout: stdout(["3:file:/home/viewer/a"], "0123456789") }),
      plan1,
      manifest,
    );
    expect(at).toEqual({ result: { ok: true, output: "0123456789", truncated: false, exitCode: 0 } });
    const over = judgeOutput(
      exec({ stdout: stdout(["3:file:/home/viewer/a"], "0123456789X") }),
      plan1,
      manifest,
    );
    expect(over).toEqual({
      result: {
        ok: true,
        output: "0123456789\n[output truncated at 10 bytes]",
        truncated: true,
        exitCode: 0,
      },
    });
    const cutBySsh = judgeOutput(
      exec({ stdout: stdout(["3:file:/home/viewer/a"], "abc"), truncated: true }),
      plan1,
      manifest,
    );
    expect(cutBySsh).toMatchObject({ result: { truncated: true } });
  });

  test("a timed-out program (timeout's 124, or the pool's limit) says so after what it printed", () => {
    for (const over of [{ exitCode: 124 }, { exitCode: null, timedOut: true, signal: "SIGKILL" }]) {
      const judged = judgeOutput(
        exec({ ...over, stdout: stdout(["3:file:/home/viewer/a"], "part") }),
        plan(file("/home/viewer/a")),
        manifest,
      );
      expect(judged).toMatchObject({ result: { ok: false } });
      expect(judged.refusal ?? judged.result.output).toMatch(
        /^part\n\[timed out after 5 s\]\n\[exit code (124|SIGKILL)\]$/,
      );
    }
  });

  test("a header cut short: a timeout is named as one; otherwise the exit code and the first line of stderr", () => {
    const opened = plan(file("/home/viewer/a"));
    expect(
      judgeOutput(exec({ stdout: `${N}:pid:1\n`, timedOut: true, exitCode: null }), opened, manifest),
    ).toEqual({
      refusal: "the device did not answer within 5 s; nothing was read",
    });
    expect(judgeOutput(exec({ stdout: `${N}:pid:1\n`, exitCode: 124 }), opened, manifest)).toEqual({
      refusal: "the device did not answer within 5 s; nothing was read",
    });
    expect(
      judgeOutput(
        exec({ stdout: "", exitCode: 127, stderr: "\n  sh: timeout: not found  \nmore\n" }),
        opened,
        manifest,
      ),
    ).toEqual({
      refusal:
        "the device did not open every path (exit code 127: sh: timeout: not found), so nothing was read — SSH-only devices need Linux with /proc, sh and coreutils timeout",
    });
    expect(
      judgeOutput(exec({ stdout: "", exitCode: null, signal: "SIGTERM" }), opened, manifest),
    ).toMatchObject({
      refusal: expect.stringMatching(
        /^the device did not open every path \(exit code SIGTERM\), so nothing/,
      ) as unknown,
    });
    expect(judgeOutput(exec({ stdout: "", exitCode: null }), opened, manifest)).toMatchObject({
      refusal: expect.stringMatching(/\(exit code unknown\)/) as unknown,
    });
  });

  test("a header without a line for every opened path is refused, even when complete", () => {
    const two = plan(file("/home/viewer/a"), file("/home/viewer/b"));
    expect(
      judgeOutput(exec({ stdout: stdout(["3:file:/home/viewer/a"], "x") }), two, manifest),
    ).toMatchObject({
      refusal: expect.stringMatching(/^the device did not open every path/) as unknown,
    });
    // A line for descriptor 4 alone does not stand for descriptor 3.
    const one = plan(file("/home/viewer/a"));
    expect(
      judgeOutput(exec({ stdout: stdout(["4:file:/home/viewer/a"], "x") }), one, manifest),
    ).toMatchObject({
      refusal: expect.stringMatching(/^the device did not open every path/) as unknown,
    });
  });

  test("each descriptor's problem is named: missing, unopenable, special, unsafe real path, outside, wrong kind", () => {
    const judge = (entry: string, opened: OpenedPath = file("/home/viewer/a")) =>
      judgeOutput(exec({ stdout: stdout([entry], "SECRET") }), plan(opened), manifest).refusal;
    expect(judge("3:missing:")).toBe("no such file or directory: /home/viewer/a");
    expect(judge("3:unopenable:")).toBe("/home/viewer/a cannot be opened by viewer (permission denied?)");
    expect(judge("3:special:")).toBe(
      "/home/viewer/a is not a regular file or a directory (a FIFO, socket or device is never opened)",
    );
    expect(judge("3:file:/home/viewer/a\tb")).toBe(
      "the real path of /home/viewer/a could not be read safely, so its content was dropped",
    );
    expect(judge("3:file:/home/viewer/../x")).toBe(
      "the real path of /home/viewer/a could not be read safely, so its content was dropped",
    );
    expect(judge("3:file:/etc/shadow")).toBe(
      "/home/viewer/a (which is /etc/shadow) is outside paths_allowed (/home/viewer/**); its content was dropped",
    );
    expect(judge("3:file:/etc/shadow", file("/etc/shadow"))).toBe(
      "/etc/shadow is outside paths_allowed (/home/viewer/**); its content was dropped",
    );
    expect(judge("3:dir:/home/viewer/a")).toBe("/home/viewer/a is a directory — use ssh_fs_list");
    expect(judge("3:file:/home/viewer/a", { path: "/home/viewer/a", want: "dir" })).toBe(
      "/home/viewer/a is not a directory — use ssh_fs_read",
    );
    // An object unlinked after the open is judged by the path it had.
    expect(judge("3:file:/home/viewer/a (deleted)")).toBeUndefined();
  });

  test("the second descriptor's problem refuses the call too", () => {
    const judged = judgeOutput(
      exec({ stdout: stdout(["3:file:/home/viewer/a", "4:file:/root/x"], "SECRET") }),
      plan(file("/home/viewer/a"), file("/home/viewer/b")),
      manifest,
    );
    expect(judged.refusal).toBe(
      "/home/viewer/b (which is /root/x) is outside paths_allowed (/home/viewer/**); its content was dropped",
    );
  });
});
