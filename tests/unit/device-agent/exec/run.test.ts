import { readFileSync } from "node:fs";
import { runProcess } from "../../../../device-agent/exec/run";
import { linux } from "../../../../device-agent/platform/linux";

const base = { cwd: "/tmp", timeoutMs: 10_000, outputBytes: 1000, platform: linux };

function gone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    // A killed orphan is a zombie until init reaps it: dead all the same.
    return readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^.*\)/, "").trim().startsWith("Z");
  } catch {
    return true;
  }
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

describe("running a process", () => {
  test("argv is passed as is, with no shell", async () => {
    const result = await runProcess(["printf", "%s|", "a b", "$(id)", ";ls"], base);
    expect(result).toMatchObject({
      exitCode: 0,
      stdout: "a b|$(id)|;ls|",
      truncated: false,
      timedOut: false,
    });
  });

  test("output beyond the cap is cut, counted and marked truncated", async () => {
    const result = await runProcess(["sh", "-c", "head -c 5000 /dev/zero; head -c 10 /dev/zero >&2"], base);
    expect(result.stdout).toHaveLength(1000);
    expect(result.stderr).toHaveLength(10);
    expect(result).toMatchObject({ truncated: true, bytes: 5010, exitCode: 0 });
  });

  test("output under the cap is not marked", async () => {
    const result = await runProcess(["sh", "-c", "head -c 1000 /dev/zero"], base);
    expect(result).toMatchObject({ truncated: false, bytes: 1000 });
  });

  test("a timeout kills the whole process tree", async () => {
    const started = Date.now();
    const result = await runProcess(["sh", "-c", "sleep 60 & echo $!; sh -c 'sleep 61' & wait"], {
      ...base,
      timeoutMs: 300,
    });
    expect(result.timedOut).toBe(true);
    expect(Date.now() - started).toBeLessThan(5000);
    const background = Number(result.stdout.trim());
    expect(background).toBeGreaterThan(0);
    expect(await waitFor(() => gone(background), 3000)).toBe(true);
  });

  test("a missing program is a plain error, not a crash", async () => {
    const result = await runProcess(["no-such-program-meshpilot"], base);
    expect(result).toMatchObject({ exitCode: null, spawnError: "no-such-program-meshpilot was not found" });
  });
});
