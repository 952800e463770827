import { spawn, type ChildProcess } from "node:child_process";
import { chownSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";

export const OK_TEXT = "ok: the real file inside the home";

/**
 * A race on a path: `swap` flips, as fast as the host allows, between a real directory
 * holding ok.txt and a symlink to a directory outside the allowed paths holding an ok.txt
 * that carries the secret. The flip is renameat2(RENAME_EXCHANGE) of `swap` and a sibling,
 * so `swap` always exists and is always one or the other. Runs in the root namespace on the
 * host's files (the lab hosts see the same inodes).
 */
export class Swapper {
  private child: ChildProcess | undefined;
  flips = 0;

  constructor(
    /** The racing path, e.g. <home>/swap. */
    readonly swap: string,
    /** A directory outside the allowed paths (created here, world-readable). */
    readonly outside: string,
    readonly secret: string,
    private readonly owner?: { uid: number; gid: number },
  ) {}

  async start(): Promise<void> {
    const inside = `${this.swap}.inside`;
    const parked = `${this.swap}.other`;
    for (const p of [this.swap, parked, inside]) rmSync(p, { recursive: true, force: true });
    rmSync(this.outside, { recursive: true, force: true });
    mkdirSync(this.outside, { recursive: true, mode: 0o755 });
    writeFileSync(join(this.outside, "ok.txt"), `${this.secret}\n`, { mode: 0o644 });
    mkdirSync(this.swap, { mode: 0o755 });
    writeFileSync(join(this.swap, "ok.txt"), `${OK_TEXT}\n`, { mode: 0o644 });
    symlinkSync(this.outside, parked);
    if (this.owner) {
      for (const p of [this.swap, join(this.swap, "ok.txt")]) chownSync(p, this.owner.uid, this.owner.gid);
    }
    const program = [
      "import ctypes, os, signal, sys",
      "libc = ctypes.CDLL(None, use_errno=True)",
      "a, b = (p.encode() for p in sys.argv[1:3])",
      "n = 0",
      "def report(*_):",
      "    print(n, flush=True); sys.exit(0)",
      "signal.signal(signal.SIGTERM, report)",
      "print('started', flush=True)",
      "while True:",
      "    if libc.renameat2(-100, a, -100, b, 2) != 0:",
      "        raise OSError(ctypes.get_errno(), 'renameat2')",
      "    n += 1",
    ].join("\n");
    const child = spawn("python3", ["-c", program, this.swap, parked], {
      cwd: dirname(this.swap),
      stdio: ["ignore", "pipe", "inherit"],
    });
    this.child = child;
    const lines = createInterface({ input: child.stdout });
    await new Promise<void>((resolve, reject) => {
      child.once("exit", (code) => reject(new Error(`the swapper exited (${code}) before starting`)));
      lines.once("line", () => resolve());
    });
    lines.on("line", (line) => {
      if (/^\d+$/.test(line)) this.flips = Number(line);
    });
  }

  /** Stops the loop; `swap` is left as a real directory or a symlink, whichever it was. */
  async stop(): Promise<number> {
    const child = this.child;
    if (!child || child.exitCode !== null) return this.flips;
    // "close": after the child's last line (its count) has been read.
    const exited = new Promise((resolve) => child.once("close", resolve));
    child.kill("SIGTERM");
    await exited;
    return this.flips;
  }
}
