import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { signRequest } from "../../common/signing";
import { readManifestTemplate, renderManifest } from "../../device-agent/manifest/render";
import { agentExecutable, waitForOutput } from "./support/device-agent";
import { describeWine, windowsPath, type Wine } from "./support/wine";

/**
 * The built Windows agent (dist/agent/device-agent-windows-amd64.exe) run for real under
 * Wine 8 (docs/windows.md): its version, its self-test, and serving signed HTTP on
 * loopback with the real Windows manifest template. No lab: only wine64 and mingw.
 */
const REPO = join(__dirname, "..", "..");
const VERSION = (JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as { version: string }).version;
const SECRET = "wine-device-secret-0123456789abcdef0123456789";
/** A first start of Wine on a busy machine can take half a minute; later ones well under a second. */
const START_MS = 120_000;

/** What the self-test cannot run on this Windows (no git, no winget) or under Wine, and why. */
const EXPECTED_SKIPS: Record<string, RegExp> = {
  "refusal: symlink": /privileges on Windows/,
  "refusal: escape": /POSIX/,
  "refusal: path word": /POSIX/,
  "timeout kills tree": /POSIX/,
  "refusal: git config": /POSIX with git/,
  "git.log": /git is not installed/,
  "git.pull": /git is not installed/,
  "pkg.install": /no supported package manager/,
  "proc.list": /Wine 8's tasklist\.exe is a stub/,
};

const say = (text: string): void => {
  process.stdout.write(`[windows-wine] ${text}\n`);
};

function runUnderWine(wine: Wine, args: string[]): { status: number | null; out: string; ms: number } {
  const started = Date.now();
  const r = spawnSync(wine.bin, args, { env: wine.env, encoding: "utf8", timeout: START_MS });
  return {
    status: r.status,
    out: `${r.stdout}${r.stderr}${r.error ? String(r.error) : ""}`,
    ms: Date.now() - started,
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function http(
  port: number,
  method: "GET" | "POST",
  path: string,
  headers: Record<string, string>,
  body = "",
): Promise<{ status: number; json: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, method, path, headers, timeout: 60_000 }, (res) => {
      let text = "";
      res.setEncoding("utf8").on("data", (chunk: string) => (text += chunk));
      res.on("end", () => {
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = text;
        }
        resolve({ status: res.statusCode ?? 0, json });
      });
    });
    req.on("timeout", () => req.destroy(new Error(`no answer to ${method} ${path} within 60 s`)));
    req.on("error", reject);
    req.end(body);
  });
}

const signed = (port: number, method: "GET" | "POST", path: string, payload?: unknown) => {
  const body = payload === undefined ? "" : JSON.stringify(payload);
  const headers = { ...signRequest(SECRET, { method, path, body }), "content-type": "application/json" };
  return http(port, method, path, headers, body);
};

describeWine(REPO, "the Windows agent under Wine", (wine) => {
  let exe: string;
  beforeAll(() => {
    exe = agentExecutable(REPO, "windows-amd64");
    if (wine().setupNote) say(wine().setupNote);
    say(`Wine session started in ${wine().sessionMs} ms`);
  }, 600_000);

  test("--version prints the build id", () => {
    const r = runUnderWine(wine(), [exe, "--version"]);
    expect({ status: r.status, out: r.out }).toEqual({
      status: 0,
      out: `meshpilot-device-agent ${VERSION} windows-amd64\n`,
    });
    say(`--version in ${r.ms} ms`);
  }, 150_000);

  test("--self-test passes; it skips exactly what Windows without git or Wine cannot run", () => {
    const r = runUnderWine(wine(), [exe, "--self-test"]);
    const lines = r.out.split(/\r?\n/).filter((line) => /^(ok|FAIL|skip) /.test(line));
    const status = (want: string): string[] =>
      lines.filter((line) => line.slice(0, 4).trim() === want).map((line) => line.slice(5, 27).trim());
    expect(status("FAIL")).toEqual([]);
    expect(status("skip").sort()).toEqual(Object.keys(EXPECTED_SKIPS).sort());
    for (const [name, why] of Object.entries(EXPECTED_SKIPS)) {
      expect(lines.find((line) => line.slice(5, 27).trim() === name)).toMatch(why);
    }
    expect(status("ok")).toEqual(
      expect.arrayContaining(["proc.kill", "shell.eval", "audit chain", "cleanup"]),
    );
    const summary = /self-test: (\d+) passed, 0 failed, (\d+) skipped/.exec(r.out);
    expect(summary?.slice(1).map(Number)).toEqual([status("ok").length, Object.keys(EXPECTED_SKIPS).length]);
    expect(r.status).toBe(0);
    say(`${summary?.[0]} in ${r.ms} ms`);
  }, 150_000);

  describe("serving signed HTTP on 127.0.0.1", () => {
    let dir: string;
    let agent: ChildProcess | undefined;
    let port: number;
    let output = "";

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), "meshpilot-wine-"));
      const home = join(dir, "home");
      mkdirSync(home);
      writeFileSync(join(home, "note.txt"), "hello from Linux\n");
      writeFileSync(join(dir, "secret"), SECRET, { mode: 0o600 });
      // The real Windows template, for an account whose home is this test's dir (as Wine names it).
      const manifest = renderManifest(readManifestTemplate("windows"), {
        user: "wine",
        home: windowsPath(home),
      });
      writeFileSync(join(dir, "manifest.yaml"), manifest.text);
      port = await freePort();
      writeFileSync(
        join(dir, "agent.yaml"),
        `listen: { address: 127.0.0.1, port: ${port} }\nsecret_file: secret\nmanifest: manifest.yaml\naudit_db: audit.db\n`,
      );
      const started = Date.now();
      agent = spawn(wine().bin, [exe, "--config", windowsPath(join(dir, "agent.yaml"))], {
        env: wine().env,
        stdio: ["ignore", "pipe", "pipe"],
      });
      agent.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
      agent.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
      await waitForOutput(agent, /"msg":"device agent listening"/, START_MS);
      say(`listening ${Date.now() - started} ms after start`);
    }, START_MS + 10_000);

    afterAll(async () => {
      if (agent && agent.exitCode === null && agent.signalCode === null) {
        const exited = new Promise((resolve) => agent!.once("exit", resolve));
        agent.kill("SIGKILL");
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    });

    test("a signed GET /health answers 200 with the agent's version and OS", async () => {
      const reply = await signed(port, "GET", "/health");
      expect(reply).toMatchObject({ status: 200, json: { version: VERSION, os: "windows" } });
    }, 90_000);

    test("an unsigned or wrongly signed request is refused", async () => {
      expect((await http(port, "GET", "/health", {})).status).toBe(401);
      const forged = signRequest("another-secret-0123456789abcdef0123456789", {
        method: "GET",
        path: "/health",
        body: "",
      });
      expect((await http(port, "GET", "/health", forged)).status).toBe(401);
    }, 90_000);

    test("a signed call reads a file in the manifest's Windows home", async () => {
      const note = windowsPath(join(dir, "home", "note.txt"));
      const reply = await signed(port, "POST", "/call", {
        capability: "fs.read",
        args: { path: note },
        caller: "@operator:meshpilot.test",
      });
      expect(reply).toMatchObject({
        status: 200,
        json: { status: "done", result: { ok: true, stdout: "hello from Linux\n" } },
      });
    }, 90_000);

    test("Ctrl-C (SIGINT) stops it cleanly: the audit database is closed, its WAL folded in", async () => {
      const exited = new Promise<number | null>((resolve) => agent!.once("exit", resolve));
      agent!.kill("SIGINT");
      expect(await exited).toBe(0);
      expect(output).toMatch(/"msg":"stopping","signal":"SIGINT"/);
      expect(existsSync(join(dir, "audit.db"))).toBe(true);
      expect(existsSync(join(dir, "audit.db-wal"))).toBe(false);
    }, 90_000);
  });
});
