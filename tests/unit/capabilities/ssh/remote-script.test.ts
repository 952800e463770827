import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  buildRemoteCommand,
  buildRemoteScript,
  mapDescriptorPaths,
  parseRemoteOutput,
  type ScriptPlan,
} from "../../../../capabilities/ssh/remote-script";

const nonce = "mp0123456789abcdef";

function runLocally(plan: ScriptPlan): string {
  return execFileSync("sh", ["-c", buildRemoteCommand(plan, 5)], { encoding: "utf8" });
}

describe("the remote script", () => {
  let dir: string;
  beforeEach(() => {
    dir = realpathSync(mkdtempSync(join(tmpdir(), "mp-script-")));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test("hostile words are data: quotes, $(), backquotes and globs reach the program unchanged", () => {
    // Were any of it interpreted, the file would not be found under this name.
    const name = join(dir, "it's $(echo INJECTED) `echo INJECTED` * ; \\ \"");
    writeFileSync(name, "hello\n");
    const plan: ScriptPlan = {
      nonce,
      opened: [{ path: name, want: "file" }],
      argv: ["grep", "-H", "-e", "$(touch x)'\"", "-e", "hello", { prefix: "", open: 0 }],
    };
    const parsed = parseRemoteOutput(runLocally(plan), nonce);
    expect(parsed.complete).toBe(true);
    expect(parsed.entries).toEqual([{ fd: 3, state: "file", real: name }]);
    expect(mapDescriptorPaths(parsed.body, parsed.pid!, parsed.entries)).toBe(`${name}:hello\n`);
  });

  test("a path with a line break or other control character is never put into a script", () => {
    const plan: ScriptPlan = {
      nonce,
      opened: [{ path: "/tmp/a\nb", want: "file" }],
      argv: ["cat", { prefix: "", open: 0 }],
    };
    expect(() => buildRemoteScript(plan)).toThrow(/control character/);
    expect(() => buildRemoteScript({ ...plan, nonce: "x;y" })).toThrow(/nonce/);
  });

  test("the environment is C locale with no pager, and the program runs in the opened cwd", () => {
    mkdirSync(join(dir, "home"));
    writeFileSync(join(dir, "home", "marker"), "");
    const plan: ScriptPlan = {
      nonce,
      opened: [{ path: join(dir, "home"), want: "dir" }],
      cwd: 0,
      argv: ["sh", "-c", 'echo "$LC_ALL $PAGER $SYSTEMD_PAGER"; ls'],
    };
    const parsed = parseRemoteOutput(runLocally(plan), nonce);
    expect(parsed.body).toBe("C cat cat\nmarker\n");
    expect(buildRemoteScript(plan)).toMatch(/cd -P "\$f3"/);
  });

  test("a directory is run on as <fd>/ and its listing mapped back to the real path", () => {
    mkdirSync(join(dir, "d"));
    writeFileSync(join(dir, "d", "f"), "");
    const plan: ScriptPlan = {
      nonce,
      opened: [{ path: join(dir, "d"), want: "any" }],
      argv: ["find", { prefix: "", open: 0 }],
    };
    const parsed = parseRemoteOutput(runLocally(plan), nonce);
    expect(mapDescriptorPaths(parsed.body, parsed.pid!, parsed.entries).split("\n").sort()).toEqual(
      ["", `${dir}/d/`, `${dir}/d/f`].sort(),
    );
  });

  test.each([
    ["missing", (d: string) => join(d, "nope")],
    ["special", (d: string) => (execFileSync("mkfifo", [join(d, "fifo")]), join(d, "fifo"))],
  ])("a %s path stops the script before the program runs", (state, make) => {
    const path = make(dir);
    const plan: ScriptPlan = { nonce, opened: [{ path, want: "any" }], argv: ["echo", "RAN"] };
    let stdout = "";
    try {
      runLocally(plan);
    } catch (error) {
      stdout = String((error as { stdout: string }).stdout);
    }
    const parsed = parseRemoteOutput(stdout, nonce);
    expect(parsed).toMatchObject({ complete: false, body: "", entries: [{ fd: 3, state, real: "" }] });
    expect(stdout).not.toContain("RAN");
  });
});

describe("parsing the header", () => {
  const header = (...lines: string[]): string => lines.map((l) => `${nonce}:${l}\n`).join("");

  test("the header, then the program's output", () => {
    const out = parseRemoteOutput(`${header("pid:42", "3:file:/a/b", "4:dir:/c", "end")}body\n`, nonce);
    expect(out).toEqual({
      pid: "42",
      complete: true,
      body: "body\n",
      entries: [
        { fd: 3, state: "file", real: "/a/b" },
        { fd: 4, state: "dir", real: "/c" },
      ],
    });
  });

  test("a real path with a line break stays one entry (and the check refuses its control character)", () => {
    const out = parseRemoteOutput(header("pid:1", "3:file:/a\n/b", "end"), nonce);
    expect(out.entries).toEqual([{ fd: 3, state: "file", real: "/a\n/b" }]);
  });

  test("no end marker, or text before the header: nothing is kept", () => {
    expect(parseRemoteOutput(`${header("pid:1", "3:file:/a")}leak`, nonce)).toMatchObject({
      complete: false,
      body: "",
    });
    expect(parseRemoteOutput(`junk\n${header("pid:1", "end")}leak`, nonce)).toMatchObject({
      complete: false,
      body: "",
    });
    expect(parseRemoteOutput(`${header("pid:1", "3:bogus:/a", "end")}leak`, nonce)).toMatchObject({
      complete: false,
    });
  });

  test("descriptor paths map back to real ones: fd/3 not fd/30, a trailing slash kept once", () => {
    const entries = [
      { fd: 3, state: "dir" as const, real: "/home/v" },
      { fd: 4, state: "dir" as const, real: "/" },
    ];
    expect(
      mapDescriptorPaths(
        "/proc/7/fd/3/x /proc/7/fd/3 /proc/7/fd/30 /proc/8/fd/3 /proc/7/fd/4/y",
        "7",
        entries,
      ),
    ).toBe("/home/v/x /home/v /proc/7/fd/30 /proc/8/fd/3 /y");
  });
});
