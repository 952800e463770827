import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { readEnv } from "../../../common/env";

/**
 * Wine for the Windows agent's test (docs/windows.md), prepared by scripts/wine/setup.sh:
 * the bcryptprimitives.dll shim and a cached WINEPREFIX. Unlike the lab tests, nothing here
 * needs the lab: only wine64 and mingw on this machine.
 */
export interface Wine {
  /** The wine loader to run a Windows executable with. */
  bin: string;
  /** The environment to run it in: the prefix, quiet, headless. */
  env: NodeJS.ProcessEnv;
  /** How long starting the Wine session took (wineserver and Wine's own services). */
  sessionMs: number;
  /** What setup.sh said when it built the prefix (with wineboot's time), or "". */
  setupNote: string;
}

const setupScript = (repo: string): string => join(repo, "scripts/wine/setup.sh");

/** Why Wine cannot be used here (wine or mingw missing), or undefined when it can. */
export function wineMissing(repo: string): string | undefined {
  const r = spawnSync("bash", [setupScript(repo), "--check"], { encoding: "utf8" });
  return r.status === 0 ? undefined : r.stderr.trim() || `setup.sh --check exited ${r.status}`;
}

/**
 * Builds the shim and the prefix the first time (wineboot: 10-30 s), then reuses them, and
 * starts a Wine session for the tests.
 */
export function prepareWine(repo: string): Wine {
  const r = spawnSync("bash", [setupScript(repo)], { encoding: "utf8", timeout: 300_000 });
  if (r.status !== 0) throw new Error(`scripts/wine/setup.sh failed (${r.status}):\n${r.stdout}${r.stderr}`);
  const parsed = Object.fromEntries(
    r.stdout
      .trim()
      .split("\n")
      .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
  ) as Record<string, string>;
  const { WINE: bin, WINESERVER: server, ...vars } = parsed;
  if (!bin || !server) throw new Error(`scripts/wine/setup.sh named no wine:\n${r.stdout}`);
  const env = { ...process.env, ...vars, DISPLAY: "" };
  return { bin, env, sessionMs: startSession(bin, server, env), setupNote: r.stderr.trim() };
}

/**
 * The first Wine program of a session starts wineserver and Wine's own services
 * (services.exe, winedevice.exe…), and they inherit its stdout and stderr: a test reading a
 * program's output through pipes would then wait for EOF until the session ends, seconds
 * after the program exited. So the session is started here with no pipes, and kept 10 s
 * after its last program exits (-p10) so the tests' programs all join it; it then ends on its own.
 */
function startSession(bin: string, server: string, env: NodeJS.ProcessEnv): number {
  const started = Date.now();
  // Exits non-zero when this prefix's session is already running: then that one is joined.
  spawnSync(server, ["-p10"], { env, stdio: "ignore" });
  const warm = spawnSync(bin, ["cmd.exe", "/c", "exit"], { env, stdio: "ignore", timeout: 120_000 });
  if (warm.status !== 0)
    throw new Error(`wine cmd.exe /c exit failed (${warm.status ?? String(warm.error)})`);
  return Date.now() - started;
}

/** A Linux path as the Windows program sees it: Wine maps drive Z: to /. */
export function windowsPath(path: string): string {
  return `Z:${path.replace(/\//g, "\\")}`;
}

/**
 * describe() when Wine is here. Under CI=true its absence is a failure, never a skip;
 * elsewhere the suite is skipped with the reason.
 */
export function describeWine(repo: string, name: string, body: (wine: () => Wine) => void): void {
  const missing = wineMissing(repo);
  if (missing && !readEnv().ci) {
    describe.skip(`${name} (skipped: ${missing})`, () => body(() => undefined as never));
    return;
  }
  describe(name, () => {
    let wine: Wine | undefined;
    beforeAll(() => {
      if (missing) throw new Error(`CI must run the Windows agent under Wine: ${missing}`);
    });
    // Prepared on first use, so a test can build the executable before the session starts.
    body(() => (wine ??= prepareWine(repo)));
  });
}
