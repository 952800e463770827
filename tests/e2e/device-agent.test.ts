/* eslint-disable @typescript-eslint/no-unsafe-assignment -- jest's asymmetric matchers are typed any */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseDocument } from "yaml";
import { signRequest } from "../../common/signing";
import { readManifestTemplate, renderManifest } from "../../device-agent/manifest/render";
import { agentExecutable, NamespaceHttp, waitForOutput } from "./support/device-agent";
import { describeLab } from "./support/lab";

const SECRET = "e2e-device-secret-0123456789abcdef0123456789";
const PORT = 7443;
/** This checkout (the lab may have been brought up from another one). */
const REPO = join(__dirname, "..", "..");

type Done = {
  status: "done";
  auditId: number;
  result: { ok: boolean; stdout?: string; stderr?: string; error?: string; data?: unknown };
};

/**
 * The built linux-amd64 agent serving on pc1's LAN address inside the pc1 namespace, called
 * from the hub namespace with signed requests, as the bot will over the mesh.
 */
describeLab("the device agent on a lab PC", (lab) => {
  let agent: ChildProcess;
  let http: NamespaceHttp;
  let dir: string;
  let home: string;
  const call = (capability: string, args: unknown, approvedBy?: string) =>
    http.signed(SECRET, "POST", "/call", {
      capability,
      args,
      caller: "@operator:meshpilot.test",
      ...(approvedBy ? { approved_by: approvedBy } : {}),
    });
  const done = async (capability: string, args: unknown, approvedBy?: string): Promise<Done["result"]> => {
    const reply = await call(capability, args, approvedBy);
    expect(reply.status).toBe(200);
    expect(reply.json).toMatchObject({ status: "done" });
    return (reply.json as Done).result;
  };

  beforeAll(async () => {
    const facts = lab();
    const binary = agentExecutable(REPO);
    // State is wiped at the start, not the end, so a failed run can be inspected.
    dir = join(facts.labDir, "device-agent-e2e");
    rmSync(dir, { recursive: true, force: true });
    home = join(dir, "home", "lucas");
    mkdirSync(home, { recursive: true });
    writeFileSync(join(dir, "secret"), SECRET);
    chmodSync(join(dir, "secret"), 0o600);
    // The real Linux template, pointed at this test's home instead of /home/lucas.
    const manifest = parseDocument(renderManifest(readManifestTemplate("linux"), { user: "lucas" }).text);
    manifest.set("paths_allowed", [`${home}/**`]);
    manifest.set("default_cwd", home);
    writeFileSync(join(dir, "manifest.yaml"), manifest.toString());
    const ip = facts.hosts.pc1!.ip;
    writeFileSync(
      join(dir, "agent.yaml"),
      `listen: { address: ${ip}, port: ${PORT} }\nsecret_file: secret\nmanifest: manifest.yaml\naudit_db: audit.db\n`,
    );
    agent = spawn("ip", ["netns", "exec", "pc1", binary, "--config", join(dir, "agent.yaml")], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    await waitForOutput(agent, /"msg":"device agent listening"/, 20_000);
    http = new NamespaceHttp(REPO, "hub", `http://${ip}:${PORT}`);
  }, 60_000);

  afterAll(async () => {
    http?.close();
    if (agent && agent.exitCode === null) {
      const exited = new Promise((resolve) => agent.once("exit", resolve));
      agent.kill("SIGTERM");
      await exited;
    }
  });

  test("/health answers a signed request", async () => {
    const reply = await http.signed(SECRET, "GET", "/health");
    expect(reply).toMatchObject({
      status: 200,
      json: { version: "0.1.0", capabilities: 14, os: "linux", audit: { count: 0 } },
    });
  });

  test("unsigned, wrongly signed, tampered, stale and replayed requests all get the same bare 401", async () => {
    const body = JSON.stringify({ capability: "proc.list", args: {}, caller: "@operator:meshpilot.test" });
    const sign = (secret: string, at = Date.now()) =>
      signRequest(secret, { method: "POST", path: "/call", body }, at);
    const fresh = sign(SECRET);
    const replies = [
      await http.raw("GET", "/health", {}),
      await http.raw("POST", "/call", sign("not-the-secret-not-the-secret-not-the-secret"), body),
      await http.raw("POST", "/call", fresh, body.replace("proc.list", "shell.eval")),
      await http.raw("POST", "/call", sign(SECRET, Date.now() - 90_000), body),
    ];
    expect((await http.raw("POST", "/call", fresh, body)).status).toBe(200);
    replies.push(await http.raw("POST", "/call", fresh, body)); // the same request again
    for (const reply of replies)
      expect([reply.status, reply.text]).toEqual([401, '{"error":"unauthorized"}']);
  });

  test("fs.write, fs.read, fs.list", async () => {
    const file = join(home, "hello.txt");
    expect(
      await done("fs.write", { path: file, content: "hi from the bot\n" }, "@operator:meshpilot.test"),
    ).toMatchObject({ ok: true });
    expect(readFileSync(file, "utf8")).toBe("hi from the bot\n");
    expect(await done("fs.read", { path: file })).toMatchObject({ ok: true, stdout: "hi from the bot\n" });
    const listing = await done("fs.list", { path: home });
    expect(listing.data).toMatchObject({ entries: [{ name: "hello.txt", type: "file", size: 16 }] });
  });

  test("git.status, git.log, git.pull", async () => {
    const git = (cwd: string, ...args: string[]) => {
      const r = spawnSync(
        "git",
        ["-c", "user.email=e2e@meshpilot", "-c", "user.name=e2e", "-c", "init.defaultBranch=main", ...args],
        { cwd, encoding: "utf8" },
      );
      if (r.status !== 0) throw new Error(r.stderr);
    };
    git(dir, "init", "-q", "origin");
    git(join(dir, "origin"), "commit", "-q", "--allow-empty", "-m", "first");
    git(home, "clone", "-q", join(dir, "origin"), "project");
    git(join(dir, "origin"), "commit", "-q", "--allow-empty", "-m", "second");
    const repo = join(home, "project");
    expect((await done("git.status", { repo })).stdout).toMatch(/^## main\.\.\.origin\/main/);
    expect(await done("git.pull", { repo }, "@operator:meshpilot.test")).toMatchObject({ ok: true });
    const log = await done("git.log", { repo, limit: 5 });
    expect(log.stdout!.split("\n").map((line) => line.split("\t")[3])).toEqual(["second", "first"]);
  });

  test("docker.ps, docker.logs, docker.restart answer (from docker, or that it is not installed)", async () => {
    const hasDocker = spawnSync("sh", ["-c", "command -v docker"]).status === 0;
    for (const [capability, args] of [
      ["docker.ps", {}],
      ["docker.logs", { container: "meshpilot-absent" }],
      ["docker.restart", { container: "meshpilot-absent" }],
    ] as const) {
      const result = await done(capability, args, "@operator:meshpilot.test");
      if (!hasDocker) expect(result).toMatchObject({ ok: false, error: "docker is not installed" });
      else if (!result.ok) expect(result.stderr!.length).toBeGreaterThan(0); // docker's own words: no daemon, no such container
    }
  });

  test("pkg.install runs the OS package manager", async () => {
    // `file` is a lab dependency, so apt-get has nothing to download and changes nothing.
    const result = await done("pkg.install", { packages: ["file"] }, "@operator:meshpilot.test");
    expect(result).toMatchObject({ ok: true, data: { manager: "apt-get" } });
    expect(result.stdout).toMatch(/file is already the newest version/);
  }, 200_000);

  test("proc.list and proc.kill", async () => {
    const victim = spawn("ip", ["netns", "exec", "pc1", "sleep", "300"], { stdio: "ignore" });
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      victim.once("exit", (_code, signal) => resolve(signal)),
    );
    // ip netns exec execs into sleep: wait until it has, so the listing shows "sleep".
    await waitUntil(() => readFileSync(`/proc/${victim.pid}/comm`, "utf8").trim() === "sleep", 5000);
    const listing = await done("proc.list", { limit: 5000 });
    const processes = (listing.data as { processes: Array<{ pid: number; command: string }> }).processes;
    expect(processes.some((p) => p.pid === agent.pid)).toBe(true);
    expect(processes.some((p) => p.pid === victim.pid && p.command === "sleep")).toBe(true);
    expect(await done("proc.kill", { pid: victim.pid }, "@operator:meshpilot.test")).toMatchObject({
      ok: true,
    });
    expect(await exited).toBe("SIGTERM");
  });

  test("shell.exec runs argv with no shell; shell.eval runs a command line", async () => {
    expect(await done("shell.exec", { argv: ["echo", "$HOME", ";", "id"] })).toMatchObject({
      ok: true,
      stdout: "$HOME ; id\n",
    });
    expect(
      await done("shell.eval", { command: "echo $((6 * 7))" }, "@operator:meshpilot.test"),
    ).toMatchObject({ ok: true, stdout: "42\n" });
    const slow = await done(
      "shell.eval",
      { command: "sleep 60", timeout_ms: 300 },
      "@operator:meshpilot.test",
    );
    expect(slow).toMatchObject({ ok: false, error: expect.stringContaining("timed out") });
  });

  test("refusals are structured, and audited", async () => {
    symlinkSync("/etc", join(home, "etc-link"));
    const cases: Array<[string, unknown, string, string?]> = [
      ["fs.read", { path: "/etc/shadow" }, "path_not_allowed"],
      ["fs.list", { path: join(home, "etc-link") }, "path_not_allowed"],
      ["fs.read", { path: `${home}/../../../../etc/passwd` }, "path_not_allowed"],
      ["shell.exec", { argv: ["rm", "-rf", home] }, "binary_not_allowed"],
      ["shell.eval", { command: "id" }, "approval_required"],
      ["fs.read", { path: 42 }, "invalid_input"],
      ["fs.delete", {}, "unknown_capability"],
    ];
    for (const [capability, args, code, approvedBy] of cases) {
      const reply = await call(capability, args, approvedBy);
      expect(reply).toMatchObject({
        status: 403,
        json: { status: "refused", refusal: { code, message: expect.any(String) } },
      });
    }
    expect(existsSync(home)).toBe(true);
    // Every refusal is a call entry carrying its reason.
    const entries: Array<{ id: number; refusal: string | null }> = [];
    for (let after: number | null = 0; after !== null;) {
      const page = await http.signed(SECRET, "GET", `/audit/entries?after=${after}&limit=7`);
      const body = page.json as { entries: typeof entries; next_after: number | null };
      entries.push(...body.entries);
      after = body.next_after;
    }
    const refusals = entries.map((e) => e.refusal).filter((r): r is string => r !== null);
    for (const [, , code] of cases) expect(refusals.some((r) => r.startsWith(`${code}: `))).toBe(true);
    const head = (await http.signed(SECRET, "GET", "/audit/head")).json as { count: number; hash: string };
    expect(entries.map((e) => e.id)).toEqual(Array.from({ length: head.count }, (_, i) => i + 1));
    expect(
      (await http.signed(SECRET, "GET", `/audit/verify?count=${head.count}&hash=${head.hash}`)).json,
    ).toEqual({ ok: true, count: head.count, head: head.hash });
  });
});

async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
