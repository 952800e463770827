import { spawn } from "node:child_process";
import { existsSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { CallResponse } from "./invoke";
import type { AgentState } from "./server/routes";
import { emptyTableError } from "./capabilities/proc";
import { gone, makeRepos, underWine } from "./selftest-support";

/** The self-test's checks: each runs capabilities through the real call path and says what it saw. */
export type Check = (call: Caller, env: TestEnv) => Promise<string | Skip> | string | Skip;
export type Caller = (capability: string, args: unknown, approved?: boolean) => Promise<CallResponse>;
export interface TestEnv {
  dir: string;
  state: AgentState;
}
export class Skip {
  constructor(readonly why: string) {}
}

function done(response: CallResponse): Extract<CallResponse, { status: "done" }> {
  if (response.status !== "done") throw new Error(`expected a result, got ${JSON.stringify(response)}`);
  return response;
}

function ok(response: CallResponse): Extract<CallResponse, { status: "done" }> {
  const r = done(response);
  if (!r.result.ok)
    throw new Error(r.result.error ?? `exit code ${r.result.exitCode}: ${r.result.stderr ?? ""}`);
  return r;
}

function refused(response: CallResponse, code: string): string {
  if (response.status !== "refused" || response.refusal.code !== code) {
    throw new Error(`expected refusal ${code}, got ${JSON.stringify(response).slice(0, 300)}`);
  }
  return `refused (${code}), audited as #${response.auditId}`;
}

function expect(condition: boolean, what: string): void {
  if (!condition) throw new Error(what);
}

const posix = process.platform !== "win32";
/**
 * A harmless read-class program every OS has. Not the agent itself: under qemu-user (the
 * arm64 smoke test) the executable cannot be started again without binfmt.
 */
export const SHELL_EXEC_ARGV = ["hostname"];
/** What the self-test's manifest allows shell.exec: hostname, and find and cat to try escapes with. */
export const SELF_TEST_PROGRAMS = posix ? ["hostname", "find", "cat"] : ["hostname"];

export const CHECKS: Array<[string, Check]> = [
  [
    "fs.write",
    async (call, { dir }) => {
      ok(await call("fs.write", { path: join(dir, "note.txt"), content: "hello from the self-test\n" }));
      return "wrote note.txt";
    },
  ],
  [
    "fs.read",
    async (call, { dir }) => {
      const r = ok(await call("fs.read", { path: join(dir, "note.txt") }, false));
      expect(
        r.result.stdout === "hello from the self-test\n",
        `read back ${JSON.stringify(r.result.stdout)}`,
      );
      return "read it back";
    },
  ],
  [
    "fs.list",
    async (call, { dir }) => {
      const r = ok(await call("fs.list", { path: dir }, false));
      const names = (r.result.data as { entries: Array<{ name: string }> }).entries.map((e) => e.name);
      expect(names.includes("note.txt"), `listing lacks note.txt: ${names.join(", ")}`);
      return `${names.length} entries`;
    },
  ],
  [
    "refusal: path",
    async (call) =>
      refused(
        await call("fs.read", { path: posix ? "/etc/hostname" : "C:\\Windows\\win.ini" }),
        "path_not_allowed",
      ),
  ],
  [
    "refusal: symlink",
    async (call, { dir }) => {
      if (!posix) return new Skip("symlinks need privileges on Windows");
      symlinkSync("/etc", join(dir, "escape"));
      return refused(await call("fs.list", { path: join(dir, "escape") }), "path_not_allowed");
    },
  ],
  [
    "refusal: approval",
    async (call) => refused(await call("shell.eval", { command: "echo no" }, false), "approval_required"),
  ],
  [
    "refusal: change class",
    async (call, { dir }) => {
      const response = await call("fs.write", { path: join(dir, "unapproved.txt"), content: "x" }, false);
      expect(!existsSync(join(dir, "unapproved.txt")), "an unapproved write happened");
      return refused(response, "approval_required");
    },
  ],
  [
    "refusal: escape",
    async (call, { dir }) => {
      if (!posix) return new Skip("find -exec is a POSIX escape");
      const marker = join(dir, "escaped");
      const response = await call("shell.exec", { argv: ["find", dir, "-exec", "touch", marker, ";"] }, true);
      expect(!existsSync(marker), "find -exec ran");
      if (response.status !== "refused")
        throw new Error(`find -exec was not refused: ${JSON.stringify(response)}`);
      return `find -exec ${response.refusal.code}, audited as #${response.auditId}`;
    },
  ],
  [
    "refusal: path word",
    async (call) => {
      if (!posix) return new Skip("checked on POSIX only");
      return refused(await call("shell.exec", { argv: ["cat", "/etc/hostname"] }, false), "path_not_allowed");
    },
  ],
  [
    "refusal: binary",
    async (call) =>
      refused(await call("shell.exec", { argv: [posix ? "rm" : "del", "x"] }), "binary_not_allowed"),
  ],
  [
    "shell.exec",
    async (call) => {
      const r = ok(await call("shell.exec", { argv: SHELL_EXEC_ARGV }, false));
      return `ran ${SHELL_EXEC_ARGV.join(" ")}: ${(r.result.stdout ?? "").trim().slice(0, 60)}`;
    },
  ],
  [
    "shell.eval",
    async (call) => {
      const r = ok(await call("shell.eval", { command: "echo meshpilot-self-test" }));
      expect((r.result.stdout ?? "").includes("meshpilot-self-test"), `output ${r.result.stdout}`);
      return "echo through the shell";
    },
  ],
  [
    "output cap",
    async (call) => {
      const r = done(
        await call("shell.eval", {
          command: posix
            ? "head -c 100000 /dev/zero | tr '\\0' x"
            : "for /L %i in (1,1,3000) do @echo xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        }),
      );
      expect(
        r.result.truncated && (r.result.stdout ?? "").length === 4096,
        `truncated=${r.result.truncated} kept=${r.result.stdout?.length}`,
      );
      return `kept 4096 of ${r.result.bytes} bytes, marked truncated`;
    },
  ],
  [
    "timeout kills tree",
    async (call) => {
      if (!posix) return new Skip("checked on POSIX only");
      const r = done(await call("shell.eval", { command: "sleep 30 & echo $!; wait", timeout_ms: 500 }));
      expect(r.result.error?.includes("timed out") === true, `no timeout: ${JSON.stringify(r.result)}`);
      const grandchild = Number((r.result.stdout ?? "").trim());
      expect(grandchild > 0, `no grandchild pid in ${JSON.stringify(r.result.stdout)}`);
      expect(await gone(grandchild), `the background sleep ${grandchild} outlived the timeout`);
      return `killed the shell and its background child ${grandchild}`;
    },
  ],
  [
    "git.status",
    async (call, { dir, state }) => {
      if (!state.ctx.which("git")) return expectNotInstalled(await call("git.status", { repo: dir }), "git");
      makeRepos(dir);
      const r = ok(await call("git.status", { repo: join(dir, "clone") }));
      return (r.result.stdout ?? "").split("\n")[0]!;
    },
  ],
  [
    "refusal: git config",
    async (call, { dir, state }) => {
      if (!posix || !state.ctx.which("git")) return new Skip("checked on POSIX with git only");
      const marker = join(dir, "fsmonitor-ran");
      const config = join(dir, "clone", ".git", "config");
      const original = readFileSync(config, "utf8");
      writeFileSync(config, `${original}[core]\n\tfsmonitor = touch ${marker}\n`);
      try {
        const response = await call("git.status", { repo: join(dir, "clone") }, false);
        expect(!existsSync(marker), "the repository's fsmonitor ran");
        return refused(response, "unsafe_repository");
      } finally {
        writeFileSync(config, original);
      }
    },
  ],
  [
    "git.log",
    async (call, { dir, state }) => {
      if (!state.ctx.which("git")) return new Skip("git is not installed");
      const r = ok(await call("git.log", { repo: join(dir, "clone"), limit: 5 }));
      expect((r.result.stdout ?? "").includes("self-test commit"), `log: ${r.result.stdout}`);
      return "one commit";
    },
  ],
  [
    "git.pull",
    async (call, { dir, state }) => {
      if (!state.ctx.which("git")) return new Skip("git is not installed");
      ok(await call("git.pull", { repo: join(dir, "clone") }));
      return "fast-forwarded from its origin";
    },
  ],
  [
    "docker.ps",
    async (call, { state }) => {
      const r = done(await call("docker.ps", {}));
      if (!state.ctx.which("docker")) return expectNotInstalled(r, "docker");
      return r.result.ok
        ? "listed containers"
        : `answered: ${(r.result.stderr ?? r.result.error ?? "").trim().slice(0, 80)}`;
    },
  ],
  [
    "docker.logs",
    async (call, { state }) =>
      dockerAnswer(await call("docker.logs", { container: ABSENT }), state, "docker"),
  ],
  [
    "docker.restart",
    async (call, { state }) =>
      dockerAnswer(await call("docker.restart", { container: ABSENT }), state, "docker"),
  ],
  [
    "pkg.install",
    (_call, { state }) => {
      const plan = state.ctx.platform.installPlan(["example"], state.ctx.which);
      return new Skip(
        "error" in plan
          ? plan.error
          : `would change the machine; would run ${plan.argv.slice(0, 3).join(" ")} …`,
      );
    },
  ],
  [
    "proc.list",
    async (call, { state }) => {
      // `self` is the agent's own row whatever the number of processes and the limit.
      const response = await call("proc.list", { limit: 5 }, false);
      // Wine 8's tasklist.exe is a stub (Wine 9 implements it): it exits 0 and prints nothing.
      // Only that exact answer, and only under Wine, is a skip; on Windows it stays a failure.
      const lister = state.ctx.platform.processListArgv()[0]!;
      if (underWine() && done(response).result.error === emptyTableError(lister))
        return new Skip("Wine 8's tasklist.exe is a stub that lists nothing (Wine 9 implements it)");
      const r = ok(response);
      const data = r.result.data as { total: number; self: { pid: number } | null };
      expect(data.self?.pid === process.pid, "the agent's own pid is not listed");
      return `${data.total} processes, the agent's own among them`;
    },
  ],
  [
    "proc.kill",
    async (call) => {
      const victim = spawn(posix ? "sleep" : "ping", posix ? ["30"] : ["-n", "30", "127.0.0.1"], {
        stdio: "ignore",
      });
      const exited = new Promise((resolve) => victim.once("exit", resolve));
      ok(await call("proc.kill", { pid: victim.pid ?? 0 }));
      await exited;
      return `terminated ${victim.pid}`;
    },
  ],
  [
    "audit chain",
    (_call, { state }) => {
      const result = state.audit.verify();
      expect(result.ok, `chain broken: ${JSON.stringify(result)}`);
      return `${result.count} entries verify`;
    },
  ],
];

/** A container that does not exist: docker.logs and docker.restart run for real and harm nothing. */
const ABSENT = "meshpilot-self-test-absent";

function dockerAnswer(response: CallResponse, state: AgentState, tool: string): string {
  if (!state.ctx.which(tool)) return expectNotInstalled(response, tool);
  const r = done(response);
  expect(
    !r.result.ok && (r.result.stderr ?? "").length > 0,
    `expected docker's own error, got ${JSON.stringify(r.result)}`,
  );
  return `docker answered: ${(r.result.stderr ?? "").trim().slice(0, 60)}`;
}

function expectNotInstalled(response: CallResponse, tool: string): string {
  const r = done(response);
  expect(
    r.result.error === `${tool} is not installed`,
    `expected "${tool} is not installed", got ${JSON.stringify(r.result)}`,
  );
  return `"${tool} is not installed"`;
}
