import type { ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { loadConfig } from "../../config/load";
import { startPc1Agent, stopChild } from "./support/agents";
import { NamespaceHttp } from "./support/device-agent";
import { describeLab } from "./support/lab";
import { hammer, RaceTally } from "./support/race-tally";
import { OK_TEXT, Swapper } from "./support/swapper";

const SECRET = "safety-race-wg-secret-0123456789abcdef0123456789";
const MARK = "RACE-WG-SECRET-5e0b13";
const READS = 1_000;

/**
 * Check-then-open is a race: while `home/swap` flips between a real directory and a symlink
 * out of the allowed paths, the real device agent in pc1 is asked ≥ 1,000 times for
 * `home/swap/ok.txt` (signed POST /call, straight from the hub). Each read must come back as
 * the inside file or a refusal — never the outside file's secret.
 */
describeLab("safety: a symlink race against fs.read on the device agent (WireGuard)", (lab) => {
  let agent: ChildProcess | undefined;
  let http: NamespaceHttp;
  let home: string;
  let swapper: Swapper;

  beforeAll(async () => {
    const facts = lab();
    const dir = join(facts.labDir, "safety-race-wg-e2e");
    const port = loadConfig(facts.botConfig).config.mesh!.agent_port;
    const started = await startPc1Agent(facts, facts.repo, dir, port, SECRET);
    agent = started.child;
    home = started.home;
    http = new NamespaceHttp(facts.repo, "hub", `http://${facts.hosts.pc1!.ip}:${port}`);
    swapper = new Swapper(join(home, "swap"), join(dir, "outside"), MARK);
  }, 120_000);

  afterAll(async () => {
    await swapper?.stop();
    http?.close();
    await stopChild(agent);
  });

  test(`${READS} fs.read calls during the flips: never the secret`, async () => {
    await swapper.start();
    // The race is real: read plainly, the path does reach the outside file.
    let plainSecret = 0;
    for (let i = 0; i < 2_000 && plainSecret === 0; i++) {
      try {
        if (readFileSync(join(home, "swap", "ok.txt"), "utf8").includes(MARK)) plainSecret++;
      } catch {
        // between flips
      }
    }
    expect(plainSecret).toBe(1);

    const tally = new RaceTally(MARK);
    await hammer(READS, 4, async () => {
      const reply = await http.signed(SECRET, "POST", "/call", {
        capability: "fs.read",
        args: { path: join(home, "swap", "ok.txt") },
        caller: "@operator:meshpilot.test",
      });
      const body = reply.json as {
        status?: string;
        result?: { ok?: boolean; stdout?: string; error?: string };
      };
      const text = `${reply.status} ${reply.text}`;
      if (reply.status === 200 && body.result?.ok === true && body.result.stdout === `${OK_TEXT}\n`)
        tally.add("ok", text);
      else if (reply.status === 403 && body.status === "refused") tally.add("refused", text);
      // The check passed on the name, then the opened descriptor turned out to be outside.
      else if (reply.status === 200 && body.result?.error?.startsWith("refused: ") === true)
        tally.add("refused-at-open", text);
      else if (/ENOENT|not found|no such file|does not exist/i.test(reply.text)) tally.add("not-found", text);
      else tally.add("other", text);
    });
    const flips = await swapper.stop();
    process.stdout.write(`${tally.line("race WG fs.read", flips)}\n`);
    if (tally.samples.length > 0) process.stdout.write(`other replies: ${tally.samples.join("\n")}\n`);

    expect(tally.leaks).toEqual([]);
    expect(tally.total).toBe(READS);
    // Both sides of the race were hit: some reads found the real file, some the symlink.
    expect(tally.counts.ok).toBeGreaterThan(0);
    expect(tally.counts.refused + tally.counts["refused-at-open"]).toBeGreaterThan(0);
    expect(flips).toBeGreaterThan(READS);
  }, 600_000);
});
