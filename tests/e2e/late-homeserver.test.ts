import { execFile, spawn } from "node:child_process";
import { mkdtempSync, openSync, closeSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";
import { parse, stringify } from "yaml";
import { loadConfig } from "../../config/load";
import { BotProcess } from "../../lab/bot-process";
import { labIsUp, type LabFacts } from "../../lab/facts";
import { LabMatrixClient, isNoticeFrom } from "../../lab/matrix-client";
import { describeLab } from "./support/lab";

const run = promisify(execFile);
/** BotProcess waits this long for the lab's bot lock; so may we. */
const LOCK_WAIT_MS = 15 * 60_000;
/** The deliberate delay: the bot waits this long before its homeserver comes back. */
const SYNAPSE_DELAY_MS = 20_000;
const WAITING = "waiting for the homeserver";

/**
 * The lab's Synapse, stopped and started again exactly as lab/up.sh runs it: the same
 * command line (read from the running process), directory, log and pid file, in the
 * root network namespace (these tests run inside hub; Synapse lives outside it).
 */
class LabSynapse {
  private argv: string[] | undefined;

  constructor(private readonly facts: LabFacts) {}

  private get dir(): string {
    return join(this.facts.labDir, "synapse");
  }

  /** The namespace lab/up.sh was run from, by its attached name. */
  private get netns(): string {
    if (!this.facts.rootNetns)
      throw new Error("lab.json has no rootNetns: bring the lab up again (npm run lab:up)");
    return this.facts.rootNetns;
  }

  private get pidFile(): string {
    return join(this.dir, "synapse.pid");
  }

  async stop(): Promise<void> {
    const pid = Number(readFileSync(this.pidFile, "utf8"));
    if (!(pid > 0 && alive(pid))) throw new Error(`Synapse is not running (pid file ${this.pidFile})`);
    if (statSync(`/proc/${pid}/ns/net`).ino !== statSync(this.netns).ino)
      throw new Error(`Synapse does not run in ${this.netns}; this test cannot restart it (npm run lab:up)`);
    const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean);
    // up.sh's setsid normally execs into Synapse; if it had forked, its name would lead.
    this.argv = argv[0]?.endsWith("setsid") ? argv.slice(1) : argv;
    process.kill(pid, "SIGTERM");
    await until(() => !alive(pid), 30_000, "Synapse to stop");
    if (await labIsUp(this.facts)) throw new Error("the homeserver still answers after Synapse stopped");
  }

  /** Starts Synapse unless it answers already; resolves once it answers. */
  async start(): Promise<void> {
    if (await labIsUp(this.facts)) return;
    const argv = this.argv;
    if (!argv) throw new Error("Synapse is down and was not stopped by this test: npm run lab:up");
    const out = openSync(join(this.dir, "stdout.log"), "a");
    // detached: a session of its own (up.sh's setsid); nsenter execs Synapse, same pid.
    const child = spawn("nsenter", [`--net=${this.netns}`, ...argv], {
      cwd: this.dir,
      detached: true,
      stdio: ["ignore", out, out],
    });
    closeSync(out);
    child.unref();
    writeFileSync(this.pidFile, String(child.pid));
    await until(() => labIsUp(this.facts), 120_000, "Synapse to answer again");
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** For what no event announces (another process's state): checked every 200 ms. */
async function until(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function within<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(
      () => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)),
      timeoutMs,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** "open" when something accepts a connection at the URL's host and port, else why not. */
function probe(url: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    socket.setTimeout(5000, () => {
      socket.destroy();
      resolve("no answer");
    });
    socket.once("connect", () => {
      socket.destroy();
      resolve("open");
    });
    socket.once("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

/** Waits until no other test run holds the lab's bot lock, so Synapse is down only for us. */
async function lockIsFree(facts: LabFacts): Promise<void> {
  await run("flock", ["-w", String(LOCK_WAIT_MS / 1000), join(facts.labDir, "bot.lock"), "true"]);
}

/** The lab's bot config with another homeserver wait. */
function configWithWait(facts: LabFacts, dir: string, waitS: number): string {
  const data = parse(readFileSync(facts.botConfig, "utf8")) as Record<string, unknown>;
  data.startup = { homeserver_wait_s: waitS };
  const file = join(dir, `wait-${waitS}.yaml`);
  writeFileSync(file, stringify(data));
  return file;
}

describeLab("a bot started before its homeserver", (lab) => {
  let synapse: LabSynapse;
  let work: string;

  beforeAll(() => {
    synapse = new LabSynapse(lab());
    work = mkdtempSync(join(lab().labDir, "late-homeserver-"));
  });

  // Whatever happened, the lab is left with its homeserver up.
  afterAll(async () => {
    await synapse?.start();
  }, 180_000);

  test(
    "waits without listening, then comes up by itself when Synapse starts 20 s later",
    async () => {
      const facts = lab();
      const configFile = configWithWait(facts, work, 300);
      const config = loadConfig(configFile).config;
      BotProcess.wipeState(config.state_dir);
      const bot = new BotProcess(facts, { name: "late-homeserver", configFile });
      let operator: LabMatrixClient | undefined;
      await lockIsFree(facts);
      await synapse.stop();
      try {
        const running = bot.start();
        running.catch(() => undefined); // awaited below; a failure before then is seen there
        await bot.waitForLog(WAITING, LOCK_WAIT_MS + 60_000);
        let ended = false;
        void bot.exited().then(() => (ended = true));
        // Not ready, so not answering: no listener for Synapse's transactions or ping.
        expect(await probe(config.appservice.url)).toBe("ECONNREFUSED");

        await new Promise((r) => setTimeout(r, SYNAPSE_DELAY_MS));
        expect(ended).toBe(false);
        expect(await probe(config.appservice.url)).toBe("ECONNREFUSED");
        const waits = bot.log.split("\n").filter((line) => line.includes(`"msg":"${WAITING}`));
        expect(waits.length).toBeGreaterThanOrEqual(3);
        expect(waits[0]).toContain(`"url":"${config.homeserver.url}"`);
        expect(bot.log).not.toContain("could not start");

        await synapse.start();
        await running;
        expect(bot.log).toContain('"msg":"homeserver answered"');

        operator = await LabMatrixClient.login(
          facts.homeserverUrl,
          facts.operator.user,
          facts.operator.password,
        );
        await operator.start();
        const alertsRoom = await operator.resolveAlias(facts.alertsAlias);
        await operator.join(alertsRoom);
        const sent = await operator.sendText(alertsRoom, "!help");
        const reply = await operator.waitForAfter(
          sent,
          isNoticeFrom(facts.botUserId, alertsRoom),
          60_000,
          "the reply to !help",
        );
        expect(reply.content.body).toContain("!help [command]");
      } finally {
        await operator?.stop();
        await bot.stop();
        await synapse.start();
      }
    },
    LOCK_WAIT_MS + 5 * 60_000,
  );

  test(
    "homeserver_wait_s: 5 and Synapse down: the bot exits 1 within 10 s with one plain sentence",
    async () => {
      const facts = lab();
      const configFile = configWithWait(facts, work, 5);
      const config = loadConfig(configFile).config;
      BotProcess.wipeState(config.state_dir);
      const bot = new BotProcess(facts, { name: "late-homeserver-gives-up", configFile });
      await lockIsFree(facts);
      await synapse.stop();
      try {
        const starting = bot.start().then(
          () => "running",
          (error: unknown) => String(error),
        );
        await bot.waitForLog(WAITING, LOCK_WAIT_MS + 60_000);
        const firstWait = Date.now();
        expect(await probe(config.appservice.url)).toBe("ECONNREFUSED");
        const { code } = await within(bot.exited(), 60_000, "the bot to exit");
        expect(Date.now() - firstWait).toBeLessThan(10_000);
        expect(code).toBe(1);
        expect(await starting).toContain("the bot exited with code 1 while starting");
        const fatal = bot.log.split("\n").filter((line) => line.includes('"level":60'));
        expect(fatal).toHaveLength(1);
        const entry = JSON.parse(fatal[0]!) as Record<string, unknown>;
        expect(entry.msg).toBe(
          `meshpilot could not start: homeserver ${config.homeserver.url} did not answer within 5 s (ECONNREFUSED) — start the homeserver or fix homeserver.url; startup.homeserver_wait_s sets how long to wait`,
        );
        expect(entry.err).toBeUndefined();
      } finally {
        await bot.stop();
        await synapse.start();
      }
    },
    LOCK_WAIT_MS + 3 * 60_000,
  );
});
