import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { SshDevices } from "../../capabilities/ssh/devices";
import type { Tool } from "../../capabilities/types";
import { loadConfig } from "../../config/load";
import { readPrivateKeyFile } from "../../provisioning/keys-on-disk";
import { HostKeyStore } from "../../ssh/host-keys";
import { SshPool } from "../../ssh/pool";
import { openDatabase } from "../../state/db";
import { DeviceStore } from "../../state/devices";
import { BOT_MIGRATIONS } from "../../state/migrations";
import { memoryLogger } from "../unit/support/fakes";
import { describeLab } from "./support/lab";
import { hammer, RaceTally } from "./support/race-tally";
import { LabSession } from "./support/session";
import { OK_TEXT, Swapper } from "./support/swapper";

const MARK = "RACE-SSH-SECRET-9c2f70";
const READS = 1_000;

/**
 * The same race over SSH: while /home/viewer/swap on pc2 flips between a real directory
 * and a symlink to a world-readable directory outside the allowed paths, ssh_fs_read (the
 * bot's SSH provider, a real SshPool to pc2's viewer) reads /home/viewer/swap/ok.txt
 * ≥ 1,000 times. No result may carry the outside file's secret.
 */
describeLab("safety: a symlink race against ssh_fs_read (SSH)", (lab) => {
  let session: LabSession;
  let pool: SshPool;
  let read: Tool;
  let swapper: Swapper;
  const ctx = { caller: "@operator:meshpilot.test" };

  beforeAll(async () => {
    const facts = lab();
    session = new LabSession(facts, "safety-race-ssh");
    await session.start();
    const { reaction } = await session.command("!add-pc race2 --via ssh --ssh pc2-viewer");
    if (reaction !== "✅") throw new Error("could not add race2");
    const config = loadConfig(facts.botConfig).config;
    const db = openDatabase(join(config.state_dir, "meshpilot.db"), BOT_MIGRATIONS);
    const hostKeys = new HostKeyStore(db);
    pool = new SshPool({
      privateKeyFor: () => readPrivateKeyFile(config.ssh.key_file!),
      pinnedFingerprint: (id) => hostKeys.get(id),
      onHostKeyChanged: () => undefined,
      maxChannelsPerHost: 4,
      log: memoryLogger().log,
    });
    const devices = new SshDevices(new DeviceStore(db), pool, join(config.state_dir, "audit"));
    read = devices.toolsFor("race2").find((t) => t.name === "ssh_fs_read")!;
    const viewer = facts.hosts.pc2!.viewerUser!;
    const uid = Number(execFileSync("id", ["-u", viewer], { encoding: "utf8" }));
    const gid = Number(execFileSync("id", ["-g", viewer], { encoding: "utf8" }));
    // /var/tmp is not private to pc2: the host and pc2 see the same directory.
    swapper = new Swapper(join(facts.hosts.pc2!.home!, viewer, "swap"), "/var/tmp/meshpilot-race-ssh", MARK, {
      uid,
      gid,
    });
  }, 120_000);

  afterAll(async () => {
    await swapper?.stop();
    pool?.closeAll();
    await session?.stop();
  });

  test(`${READS} ssh_fs_read calls during the flips: never the secret`, async () => {
    await swapper.start();
    let plainSecret = 0;
    for (let i = 0; i < 2_000 && plainSecret === 0; i++) {
      try {
        if (readFileSync(join(swapper.swap, "ok.txt"), "utf8").includes(MARK)) plainSecret++;
      } catch {
        // between flips
      }
    }
    expect(plainSecret).toBe(1);

    const tally = new RaceTally(MARK);
    await hammer(READS, 4, async () => {
      const result = await read.execute({ path: "/home/viewer/swap/ok.txt" }, ctx);
      const text = JSON.stringify(result);
      if (result.ok && result.output.trim() === OK_TEXT) tally.add("ok", text);
      else if (result.refusal !== undefined) tally.add("refused", text);
      else if (/not found|no such file|does not exist/i.test(result.output)) tally.add("not-found", text);
      else tally.add("other", text);
    });
    const flips = await swapper.stop();
    process.stdout.write(`${tally.line("race SSH ssh_fs_read", flips)}\n`);
    if (tally.samples.length > 0) process.stdout.write(`other results: ${tally.samples.join("\n")}\n`);

    expect(tally.leaks).toEqual([]);
    expect(tally.total).toBe(READS);
    expect(tally.counts.ok).toBeGreaterThan(0);
    expect(tally.counts.refused + tally.counts["refused-at-open"]).toBeGreaterThan(0);
  }, 900_000);
});
