import { spawn, type ChildProcess } from "node:child_process";
import { EventEmitter } from "node:events";
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import type { LabFacts } from "./facts";

const LOCK_WAIT_MS = 15 * 60_000;

/**
 * The real bot, run as the built executable inside the hub namespace, as it runs on a
 * hub. Its JSON log goes to a file (kept for inspection) and is watched for readiness.
 */
export class BotProcess {
  private child: ChildProcess | undefined;
  private output = "";
  /** "output" on every chunk the bot writes, "exit" when it ends: for waitForLog. */
  private readonly events = new EventEmitter();
  readonly logFile: string;

  constructor(
    private readonly facts: LabFacts,
    private readonly options: { configFile?: string; name?: string; env?: NodeJS.ProcessEnv } = {},
  ) {
    this.logFile = join(facts.labDir, "logs", `bot-${options.name ?? "test"}.log`);
  }

  /** Wipes the bot's state directory: tests start from nothing and leave state for inspection. */
  static wipeState(stateDir: string): void {
    rmSync(stateDir, { recursive: true, force: true });
  }

  async start(timeoutMs = 60_000 + LOCK_WAIT_MS): Promise<void> {
    // One bot per lab: the demo's detached bot would hold the appservice port.
    await stopBotDaemon(this.facts);
    mkdirSync(join(this.facts.labDir, "logs"), { recursive: true });
    this.output = "";
    const log = createWriteStream(this.logFile, { flags: "a" });
    const config = this.options.configFile ?? this.facts.botConfig;
    // One bot per lab at a time (one appservice port, one registration): test runs sharing
    // a lab take turns through this lock. --no-fork: flock becomes the bot (same pid), so
    // signals reach it and the lock is held exactly as long as the bot lives.
    const child = spawn(
      "flock",
      [
        ...["--no-fork", "-w", String(Math.round(LOCK_WAIT_MS / 1000)), join(this.facts.labDir, "bot.lock")],
        ...["ip", "netns", "exec", "hub"],
        process.execPath,
        join(this.facts.repo, "dist/cli/main.js"),
        "start",
        "--config",
        config,
      ],
      { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...this.options.env } },
    );
    this.child = child;
    const collect = (chunk: Buffer): void => {
      this.output += chunk.toString();
      log.write(chunk);
      this.events.emit("output");
    };
    child.stdout?.on("data", collect);
    child.stderr?.on("data", collect);
    // "close", not "exit": the last lines are read by then.
    child.once("close", () => this.events.emit("exit"));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`the bot did not start within ${timeoutMs} ms; log: ${this.logFile}`));
      }, timeoutMs);
      const onData = (): void => {
        if (this.output.includes('"msg":"meshpilot is running"')) {
          cleanup();
          resolve();
        }
      };
      const onExit = (code: number | null): void => {
        cleanup();
        reject(new Error(`the bot exited with code ${code} while starting:\n${this.output.slice(-2000)}`));
      };
      const cleanup = (): void => {
        clearTimeout(timer);
        child.stdout?.off("data", onData);
        child.off("exit", onExit);
      };
      child.stdout?.on("data", onData);
      child.once("exit", onExit);
      onData();
    });
  }

  /** Resolves when the bot process ends (e.g. killed by a crash fault), with how it ended. */
  exited(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    const child = this.child;
    if (!child) return Promise.resolve({ code: null, signal: null });
    if (child.exitCode !== null || child.signalCode !== null)
      return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
    return new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  }

  /**
   * Resolves once the bot's output (since start) contains `text`, already or later; rejects
   * when the bot exits first or after timeoutMs. May be called before start() has spawned it.
   */
  waitForLog(text: string, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (!this.output.includes(text)) return;
        cleanup();
        resolve();
      };
      const exited = (): void => {
        cleanup();
        reject(new Error(`the bot exited before logging "${text}":\n${this.output.slice(-2000)}`));
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`the bot did not log "${text}" within ${timeoutMs} ms; log: ${this.logFile}`));
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        this.events.off("output", check);
        this.events.off("exit", exited);
      };
      this.events.on("output", check);
      this.events.on("exit", exited);
      const child = this.child;
      if (child && (child.exitCode !== null || child.signalCode !== null) && !this.output.includes(text))
        exited();
      else check();
    });
  }

  /** Everything the bot logged since start, for assertions about what it logged (and did not). */
  get log(): string {
    return this.output;
  }

  async stop(signal: NodeJS.Signals = "SIGTERM", timeoutMs = 15_000): Promise<number | null> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return child?.exitCode ?? null;
    return new Promise((resolve) => {
      const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
      child.once("exit", (code) => {
        clearTimeout(timer);
        resolve(code);
      });
      child.kill(signal);
    });
  }
}

/**
 * Starts the bot detached, to outlive the caller (the demo leaves it running in the lab).
 * Its pid goes to labDir/bot.pid; lab/down.sh stops it with everything else in the hub.
 */
export async function startBotDaemon(
  facts: LabFacts,
  timeoutMs = 60_000,
  configFile = facts.botConfig,
): Promise<{ pid: number; logFile: string }> {
  const logDir = join(facts.labDir, "logs");
  mkdirSync(logDir, { recursive: true });
  const logFile = join(logDir, "bot.log");
  const pidFile = join(facts.labDir, "bot.pid");
  await stopBotDaemon(facts);
  const start = statSafe(logFile);
  const out = openSync(logFile, "a");
  const child = spawn(
    "flock",
    [
      ...["--no-fork", "-w", "60", join(facts.labDir, "bot.lock")],
      ...["ip", "netns", "exec", "hub"],
      process.execPath,
      join(facts.repo, "dist/cli/main.js"),
      "start",
      "--config",
      configFile,
    ],
    { detached: true, stdio: ["ignore", out, out] },
  );
  child.unref();
  const pid = child.pid ?? 0;
  writeFileSync(pidFile, String(pid));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const text = readFileSync(logFile, "utf8").slice(start);
    if (text.includes('"msg":"meshpilot is running"')) return { pid, logFile };
    if (!isAlive(pid)) throw new Error(`the bot exited while starting; see ${logFile}`);
    await delay(200);
  }
  throw new Error(`the bot did not start within ${timeoutMs} ms; see ${logFile}`);
}

/** Stops the detached bot, if one is running. */
export async function stopBotDaemon(facts: LabFacts): Promise<void> {
  const pidFile = join(facts.labDir, "bot.pid");
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, "utf8"));
  if (pid > 0 && isAlive(pid)) {
    process.kill(pid, "SIGTERM");
    for (let i = 0; i < 100 && isAlive(pid); i++) await delay(100);
    if (isAlive(pid)) process.kill(pid, "SIGKILL");
  }
  rmSync(pidFile, { force: true });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function statSafe(file: string): number {
  return existsSync(file) ? readFileSync(file, "utf8").length : 0;
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
