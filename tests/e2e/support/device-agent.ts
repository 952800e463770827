import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { signRequest } from "../../../common/signing";

/** Where `npm run build:agent` puts the executables (the e2e tests run the built ones). */
export function agentExecutable(repo: string, name = "linux-amd64"): string {
  const file = join(repo, "dist/agent", `device-agent-${name}${name.startsWith("windows") ? ".exe" : ""}`);
  if (!existsSync(file)) {
    const built = spawnSync("bash", ["scripts/build-agent.sh"], { cwd: repo, encoding: "utf8" });
    if (built.status !== 0) throw new Error(`npm run build:agent failed:\n${built.stdout}${built.stderr}`);
  }
  return file;
}

/** Waits for a line of a child's output to match, or fails with what it printed. */
export function waitForOutput(child: ChildProcess, pattern: RegExp, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = "";
    const timer = setTimeout(
      () => done(new Error(`no ${pattern} within ${timeoutMs} ms; output:\n${seen}`)),
      timeoutMs,
    );
    const onData = (chunk: Buffer): void => {
      seen += chunk.toString();
      const match = pattern.exec(seen);
      if (match) done(undefined, match[0]);
    };
    const onExit = (code: number | null): void =>
      done(new Error(`exited (${code}) before ${pattern}; output:\n${seen}`));
    const done = (error?: Error, value?: string): void => {
      clearTimeout(timer);
      child.stdout?.off("data", onData);
      child.stderr?.off("data", onData);
      child.off("exit", onExit);
      if (error) reject(error);
      else resolve(value!);
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", onExit);
  });
}

export interface RawReply {
  status: number;
  text: string;
  json: unknown;
}

/** HTTP from inside a lab namespace, through capabilities/wg/relay.ts. */
export class NamespaceHttp {
  private readonly child: ChildProcess;
  private nextId = 1;
  private readonly pending = new Map<
    number,
    (reply: { status?: number; body?: string; error?: string }) => void
  >();

  constructor(repo: string, netns: string, baseUrl: string) {
    this.child = spawn(
      "ip",
      ["netns", "exec", netns, process.execPath, join(repo, "dist/capabilities/wg/relay.js"), baseUrl],
      {
        stdio: ["pipe", "pipe", "inherit"],
      },
    );
    createInterface({ input: this.child.stdout! }).on("line", (line) => {
      const reply = JSON.parse(line) as { id: number; status?: number; body?: string; error?: string };
      this.pending.get(reply.id)?.(reply);
      this.pending.delete(reply.id);
    });
  }

  /** Sends exactly these headers and body. */
  raw(method: "GET" | "POST", path: string, headers: Record<string, string>, body = ""): Promise<RawReply> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no reply to ${method} ${path} within 200 s`)),
        200_000,
      );
      this.pending.set(id, (reply) => {
        clearTimeout(timer);
        if (reply.error !== undefined) return reject(new Error(reply.error));
        const text = reply.body ?? "";
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: reply.status ?? 0, text, json });
      });
      this.child.stdin!.write(`${JSON.stringify({ id, method, path, headers, body })}\n`);
    });
  }

  /** A request signed with the secret, now. */
  signed(secret: string, method: "GET" | "POST", path: string, payload?: unknown): Promise<RawReply> {
    const body = payload === undefined ? "" : JSON.stringify(payload);
    return this.raw(
      method,
      path,
      { ...signRequest(secret, { method, path, body }), "content-type": "application/json" },
      body,
    );
  }

  close(): void {
    this.child.stdin?.end();
    this.child.kill();
  }
}
