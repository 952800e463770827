import { execFileSync } from "node:child_process";
import { describeLab } from "./support/lab";
import { LabSession, WAIT } from "./support/session";
import { alertMatching } from "./support/health";
import { hubFileDevices, hubPeers, tracesOnPc } from "./support/wg-state";
import { sshAs } from "./support/hosts";
import { confirmationCode, revokeDevice } from "./support/device-room";
import { BotProcess } from "../../lab/bot-process";
import { loadConfig } from "../../config/load";
import { openDatabase } from "../../state/db";
import { BOT_MIGRATIONS } from "../../state/migrations";
import { DeviceStore } from "../../state/devices";
import { Journal } from "../../provisioning/journal";
import { HostKeyStore } from "../../ssh/host-keys";
import type { LabFacts } from "../../lab/facts";

/**
 * !revoke as a journaled run on pc2: kill -9 in the middle, and the next start finishes
 * it; pc2 unreachable, and the hub and bot side still complete, saying what is left; a
 * second !revoke once pc2 is back cleans exactly that; --forget drops the record.
 */
describeLab("!revoke: journaled, finished after a crash, honest about an unreachable device", (lab) => {
  const admin = (): string => lab().hosts.pc2!.adminUser!;
  const add = `!add-pc pcr --via wg --ssh lucas@192.0.2.12`;
  const pc2Link = (state: "up" | "down"): void => {
    execFileSync("ip", ["netns", "exec", "pc2", "ip", "link", "set", "eth0", state]);
  };

  const botState = (facts: LabFacts) => {
    const db = openDatabase(`${loadConfig(facts.botConfig).config.state_dir}/meshpilot.db`, BOT_MIGRATIONS);
    return {
      devices: new DeviceStore(db),
      journal: new Journal(db),
      hostKeys: new HostKeyStore(db),
      close: () => db.close(),
    };
  };
  const cleanPc2 = (): void => {
    sshAs(
      lab(),
      "pc2",
      admin(),
      `sudo -n wg-quick down mesh0 2>/dev/null; sudo -n rm -f /etc/wireguard/mesh0.conf; pkill -u "$(id -u)" -f '/[m]eshpilot/(supervise|device-agent)'; rm -rf ~/.local/share/meshpilot ~/.config/meshpilot ~/.local/state/meshpilot; true`,
    );
  };

  beforeAll(() => {
    pc2Link("up");
    cleanPc2();
  });
  afterAll(() => {
    pc2Link("up");
    cleanPc2();
  });

  async function addPcr(session: LabSession): Promise<void> {
    const { reaction } = await session.command(add);
    expect(reaction).toBe("✅");
  }

  test.each([1, 3, 6])(
    "kill -9 after revoke step %i: the next start finishes the revoke from the journal and says so",
    async (step) => {
      const session = new LabSession(lab(), `wg-revoke-crash-${step}`, {
        MESHPILOT_TEST_HOOKS: "1",
        MESHPILOT_TEST_FAULT: `crash:revoke-wg:${step}`,
      });
      await session.start();
      try {
        const peersBefore = hubPeers(lab());
        await addPcr(session);
        expect(hubPeers(lab()).length).toBe(peersBefore.length + 1);
        const code = await confirmationCode(session, lab(), "!revoke pcr");
        await session.operator.sendText(session.alertsRoom, `!revoke pcr --confirm ${code}`);
        expect((await session.bot.exited()).signal).toBe("SIGKILL");
        const state = botState(lab());
        try {
          expect(state.journal.active("pcr")?.pipeline).toBe("revoke-wg");
        } finally {
          state.close();
        }
        const restarted = new BotProcess(lab(), { name: `wg-revoke-restart-${step}` });
        await restarted.start();
        try {
          const notice = await session.operator.waitFor(
            (e) =>
              e.sender === lab().botUserId &&
              String(e.content.body).includes("restarted in the middle of revoking pcr and finished it"),
            WAIT,
            "the recovery notice",
          );
          expect(String(notice.content.body)).toMatch(/marked revoked, host key unpinned/);
          expect(hubPeers(lab()).sort()).toEqual([...peersBefore].sort());
          expect(hubFileDevices(lab())).not.toContain("pcr");
          expect(tracesOnPc(lab(), "pc2", admin())).toEqual([]);
          const after = botState(lab());
          try {
            expect(after.devices.get("pcr")).toMatchObject({ status: "revoked", mesh_ip: null });
            expect(after.journal.active("pcr")).toBeUndefined();
            expect(after.hostKeys.get("192.0.2.12:22")).toBeUndefined();
          } finally {
            after.close();
          }
        } finally {
          await restarted.stop();
        }
      } finally {
        await session.stop();
      }
    },
    240_000,
  );

  test("pc2 unreachable: hub and bot side done, what is left is named; again when back cleans it; --forget drops the record", async () => {
    const session = new LabSession(lab(), "wg-revoke-unreachable");
    await session.start();
    try {
      const peersBefore = hubPeers(lab());
      await addPcr(session);
      pc2Link("down");
      const told = await revokeDevice(session, lab(), "pcr");
      expect(told).toMatch(
        /⚠ pcr revoked on the hub and the bot \(hub peer removed, .*freed, room closed, marked revoked\)/,
      );
      expect(told).toMatch(/on lucas@192\.0\.2\.12, the agent may still run/);
      expect(told).toMatch(/the agent's files are still there \(.*\.local\/share\/meshpilot/);
      expect(told).toMatch(/the tunnel config is still there \(\/etc\/wireguard\/mesh0\.conf\)/);
      expect(told).toMatch(/!revoke pcr again when it is reachable/);
      expect(hubPeers(lab()).sort()).toEqual([...peersBefore].sort());
      const mid = botState(lab());
      try {
        expect(mid.devices.get("pcr")).toMatchObject({ status: "revoked" });
        expect(mid.hostKeys.get("192.0.2.12:22")).toBeDefined(); // still needed to clean up safely
      } finally {
        mid.close();
      }
      expect(tracesOnPc(lab(), "pc2", admin()).length).toBeGreaterThan(0);

      pc2Link("up");
      const cleaned = await revokeDevice(session, lab(), "pcr");
      expect(cleaned).toContain(
        "✓ pcr revoked: agent stopped, agent files removed, tunnel removed, marked revoked, host key unpinned.",
      );
      expect(cleaned).not.toMatch(/hub peer|room closed/);
      expect(tracesOnPc(lab(), "pc2", admin())).toEqual([]);
      const nothing = await session.command("!revoke pcr");
      expect(session.noticeAfter(nothing.sent)).toBe("pcr is already revoked — nothing to do.");

      const code = await confirmationCode(session, lab(), "!revoke pcr --forget");
      const forget = await session.command(`!revoke pcr --forget --confirm ${code}`);
      expect(forget.reaction).toBe("✅");
      await session.operator.waitForAfter(
        forget.sent,
        alertMatching(lab(), session.alertsRoom, /✓ pcr forgotten: device record removed/),
        WAIT,
        "the forget outcome",
      );
      const end = botState(lab());
      try {
        expect(end.devices.get("pcr")).toBeUndefined();
      } finally {
        end.close();
      }
    } finally {
      pc2Link("up");
      await session.stop();
    }
  }, 300_000);
});
