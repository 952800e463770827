import { describeLab } from "./support/lab";
import { LabSession, WAIT } from "./support/session";
import { hubFileDevices, hubPeers, tracesOnPc } from "./support/wg-state";
import { sshAs } from "./support/hosts";
import { BotProcess } from "../../lab/bot-process";
import { loadConfig } from "../../config/load";
import { openDatabase } from "../../state/db";
import { BOT_MIGRATIONS } from "../../state/migrations";
import { DeviceStore } from "../../state/devices";
import { Journal } from "../../provisioning/journal";
import { HostKeyStore } from "../../ssh/host-keys";
import type { LabFacts } from "../../lab/facts";

/**
 * Rollback of `!add-pc --via wg` on pc2, with a test-only fault after every step, and
 * crash recovery after kill -9 at three points: afterwards nothing of the run is left —
 * no hub peer, no file, tunnel or agent on pc2, no room, the IP and the name free.
 */
describeLab("!add-pc --via wg: rollback and crash recovery", (lab) => {
  const admin = (): string => lab().hosts.pc2!.adminUser!;
  const command = `!add-pc pcf --via wg --ssh lucas@192.0.2.12`;

  const botState = (facts: LabFacts) => {
    const db = openDatabase(`${loadConfig(facts.botConfig).config.state_dir}/meshpilot.db`, BOT_MIGRATIONS);
    return {
      devices: new DeviceStore(db),
      journal: new Journal(db),
      hostKeys: new HostKeyStore(db),
      close: () => db.close(),
    };
  };

  /** What must be true after any failed or recovered run. */
  async function expectNothingLeft(session: LabSession, peersBefore: string[]): Promise<void> {
    const facts = lab();
    expect(hubPeers(facts).sort()).toEqual([...peersBefore].sort());
    expect(hubFileDevices(facts)).not.toContain("pcf");
    expect(tracesOnPc(facts, "pc2", admin())).toEqual([]);
    await expect(session.operator.resolveAlias("#device-pcf:meshpilot.test")).rejects.toThrow(/404/);
    const state = botState(facts);
    try {
      expect(state.devices.get("pcf")).toBeUndefined();
      expect(state.hostKeys.get("192.0.2.12:22")).toBeUndefined();
      expect(state.journal.latestFor("pcf")?.state).toBe("rolled_back");
    } finally {
      state.close();
    }
  }

  beforeAll(() => {
    sshAs(
      lab(),
      "pc2",
      admin(),
      `sudo -n wg-quick down mesh0 2>/dev/null; sudo -n rm -f /etc/wireguard/mesh0.conf; pkill -u "$(id -u)" -f '/[m]eshpilot/(supervise|device-agent)'; rm -rf ~/.local/share/meshpilot ~/.config/meshpilot ~/.local/state/meshpilot; true`,
    );
  });

  test.each([1, 2, 3, 4, 5, 6, 7, 8, 9])(
    "a failure right after step %i is rolled back completely",
    async (step) => {
      const session = new LabSession(lab(), `wg-fault-${step}`, {
        MESHPILOT_TEST_HOOKS: "1",
        MESHPILOT_TEST_FAULT: `fail:${step}`,
      });
      await session.start();
      try {
        const peers = hubPeers(lab());
        const { sent, reaction } = await session.command(command);
        expect(reaction).toBe("❌");
        const outcome = String(session.mentionAfter(sent)?.content.body);
        expect(outcome).toMatch(
          new RegExp(
            `^operator: ✗ failed at \\[${step}/9\\] .*: internal error, reference [0-9a-f]{4}.* Rolled back: `,
          ),
        );
        expect(outcome).toContain("name released");
        await expectNothingLeft(session, peers);
      } finally {
        await session.stop();
      }
    },
    180_000,
  );

  test.each([
    ["crash:3", "after the keys are made"],
    ["crash:6", "after the agent is installed"],
    ["fail:7,crash-undo:5", "in the middle of a rollback"],
  ])(
    "kill -9 %s (%s), then a restart finishes the rollback from the journal",
    async (fault) => {
      const session = new LabSession(lab(), `wg-crash-${fault}`, {
        MESHPILOT_TEST_HOOKS: "1",
        MESHPILOT_TEST_FAULT: fault,
      });
      await session.start();
      const peers = hubPeers(lab());
      try {
        await session.operator.sendText(session.alertsRoom, command);
        const ended = await session.bot.exited();
        expect(ended.signal).toBe("SIGKILL");
        const restarted = new BotProcess(lab(), { name: `wg-crash-restart` });
        await restarted.start();
        try {
          const notice = await session.operator.waitFor(
            (e) =>
              e.sender === lab().botUserId &&
              String(e.content.body).includes("restarted in the middle of adding pcf"),
            WAIT,
            "the recovery notice",
          );
          expect(String(notice.content.body)).toMatch(/and rolled it back \(.*name released\)/);
          await expectNothingLeft(session, peers);
        } finally {
          await restarted.stop();
        }
      } finally {
        await session.stop();
      }
    },
    180_000,
  );
});
