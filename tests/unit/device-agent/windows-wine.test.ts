import { chmodSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { procList } from "../../../device-agent/capabilities/proc";
import { signalWindows, type Taskkill } from "../../../device-agent/platform/windows";
import { removeTree, underWine } from "../../../device-agent/selftest-support";
import { agentFixture } from "./support";

/** What the Wine run of the Windows agent (docs/windows.md) changed in the agent, checked on Linux. */

describe("proc.kill on Windows", () => {
  const taskkill = (answers: Record<string, number>): { run: Taskkill; calls: string[] } => {
    const calls: string[] = [];
    const run: Taskkill = (args) => {
      calls.push(args.join(" "));
      return { status: answers[args.join(" ")] ?? 1, text: "taskkill says no" };
    };
    return { run, calls };
  };

  test("TERM closes a windowed program politely and stops there", () => {
    const t = taskkill({ "/pid 40": 0 });
    signalWindows(40, "TERM", t.run, () => true);
    expect(t.calls).toEqual(["/pid 40"]);
  });

  test("TERM terminates a console program taskkill cannot ask to close", () => {
    const t = taskkill({ "/pid 40 /f": 0 });
    signalWindows(40, "TERM", t.run, () => true);
    expect(t.calls).toEqual(["/pid 40", "/pid 40 /f"]);
  });

  test("KILL terminates at once; a process that is gone is ESRCH, not forced", () => {
    const kill = taskkill({ "/pid 40 /f": 0 });
    signalWindows(40, "KILL", kill.run, () => true);
    expect(kill.calls).toEqual(["/pid 40 /f"]);
    const none = taskkill({});
    expect(() => signalWindows(44, "TERM", none.run, () => false)).toThrow(
      expect.objectContaining({ code: "ESRCH" }) as Error,
    );
    expect(none.calls).toEqual(["/pid 44"]);
  });

  test("a forced termination that fails on a live process says what taskkill said", () => {
    expect(() => signalWindows(40, "INT", taskkill({}).run, () => true)).toThrow("taskkill says no");
  });
});

test("proc.list refuses an empty process table instead of answering that nothing runs", async () => {
  const f = agentFixture();
  const ctx = {
    ...f.state.ctx,
    run: () =>
      Promise.resolve({
        exitCode: 0,
        signal: null,
        stdout: "",
        stderr: "",
        truncated: false,
        bytes: 0,
        durationMs: 1,
        timedOut: false,
      }),
  };
  const result = await procList.execute({}, ctx);
  expect(result).toMatchObject({ ok: false, error: "ps listed no processes (not even itself)" });
});

describe("removeTree", () => {
  const tree = (): string => {
    const dir = mkdtempSync(join(tmpdir(), "mp-remove-"));
    mkdirSync(join(dir, "a", "b"), { recursive: true });
    writeFileSync(join(dir, "a", "b", "object"), "x");
    chmodSync(join(dir, "a", "b", "object"), 0o444); // as git leaves its objects
    return dir;
  };
  const wineRm = (): never => {
    throw Object.assign(new Error("EFAULT: bad address in system call argument, rm"), { code: "EFAULT" });
  };

  test("removes the tree with rmSync", () => {
    const dir = tree();
    removeTree(dir);
    expect(existsSync(dir)).toBe(false);
  });

  test("when the recursive rm fails (Wine 8), removes entry by entry, read-only files too", () => {
    const dir = tree();
    removeTree(dir, wineRm);
    expect(existsSync(dir)).toBe(false);
  });

  test("when both fail, throws the recursive rm's error", () => {
    expect(() => removeTree(join(tmpdir(), "mp-remove-absent-0"), wineRm)).toThrow("EFAULT");
  });
});

test("underWine: only a Windows process with Wine's own variables", () => {
  const wine = { WINELOADER: "/usr/lib/wine/wine64", WINECONFIGDIR: "\\??\\Z:\\root\\.wine" };
  expect(underWine(wine, "win32")).toBe(true);
  expect(underWine({ WINELOADER: "x" }, "win32")).toBe(false);
  expect(underWine(wine, "linux")).toBe(false);
  expect(underWine({}, "win32")).toBe(false);
});
