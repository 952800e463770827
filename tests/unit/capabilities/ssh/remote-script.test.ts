import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  buildRemoteCommand,
  buildRemoteScript,
  checkedRealPath,
  mapDescriptorPaths,
  newNonce,
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

describe("what the script builder refuses", () => {
  const plan = (over: Partial<ScriptPlan>): ScriptPlan => ({ nonce, opened: [], argv: ["true"], ...over });
  const file = (i: number) => ({ path: `/tmp/f${i}`, want: "file" as const });

  test("at most seven paths (descriptors 3 to 9); a word naming a path not opened; no program", () => {
    expect(() => buildRemoteScript(plan({ opened: [1, 2, 3, 4, 5, 6, 7].map(file) }))).not.toThrow();
    expect(() => buildRemoteScript(plan({ opened: [1, 2, 3, 4, 5, 6, 7, 8].map(file) }))).toThrow(
      "too many paths for one call",
    );
    expect(() =>
      buildRemoteScript(plan({ opened: [file(1)], argv: ["cat", { prefix: "", open: 1 }] })),
    ).toThrow("a word names a path not opened");
    expect(() =>
      buildRemoteScript(plan({ opened: [file(1)], argv: ["cat", { prefix: "", open: -1 }] })),
    ).toThrow("a word names a path not opened");
    expect(() => buildRemoteScript(plan({ argv: [] }))).toThrow("no program to run");
    expect(() => buildRemoteScript(plan({ nonce: "MP-1" }))).toThrow(/nonce/);
  });

  test("each opened path gets its own descriptor, and words refer to it by number", () => {
    const script = buildRemoteScript(
      plan({
        opened: [file(1), { path: "/tmp/d", want: "dir" }],
        cwd: 1,
        argv: ["grep", { prefix: "--file=", open: 0 }],
      }),
    );
    expect(script).toContain("command exec 3<");
    expect(script).toContain("command exec 4<");
    expect(script).toContain('case "$t" in special|dir) exit 97;; esac');
    expect(script).toContain('case "$t" in special|file) exit 97;; esac');
    expect(script).toContain('cd -P "$f4" || exit 97');
    expect(script.split("\n").pop()).toBe('grep --file="$f3"');
    expect(buildRemoteScript(plan({ opened: [{ path: "/x", want: "any" }] }))).toContain(
      'case "$t" in special) exit 97;; esac',
    );
    expect(buildRemoteScript(plan({}))).toContain("cd / || exit 97");
  });

  test("nonces are fresh lower-case hex behind mp", () => {
    const a = newNonce();
    expect(a).toMatch(/^mp[0-9a-f]{24}$/);
    expect(newNonce()).not.toBe(a);
  });
});

describe("header records are matched whole", () => {
  const header = (...lines: string[]): string => lines.map((l) => `${nonce}:${l}\n`).join("");

  test("a pid or descriptor record with anything before or after is not one", () => {
    expect(parseRemoteOutput(`${header("pid:12x", "end")}body`, nonce)).toMatchObject({ complete: false });
    expect(parseRemoteOutput(`${header("pid:1", "x3:file:/a", "end")}body`, nonce)).toMatchObject({
      complete: false,
      entries: [],
    });
    expect(parseRemoteOutput(`${header("pid:1", "pid:x2", "end")}body`, nonce)).toMatchObject({
      complete: false,
    });
    expect(parseRemoteOutput(`${header("pid:1", "3:file:/a", "end")}`, nonce)).toMatchObject({
      complete: true,
      body: "",
    });
  });

  test("a descriptor number not in the table is left as it is", () => {
    expect(mapDescriptorPaths("/proc/7/fd/5", "7", [{ fd: 3, state: "file", real: "/a" }])).toBe(
      "/proc/7/fd/5",
    );
  });

  test("a real path that readlink marks deleted is checked without the mark", () => {
    expect(checkedRealPath("/home/v/a (deleted)")).toBe("/home/v/a");
    expect(checkedRealPath("/home/v/a (deleted) b")).toBe("/home/v/a (deleted) b");
    expect(checkedRealPath(" (deleted)/x")).toBe(" (deleted)/x");
  });
});
