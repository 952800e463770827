import { spawnSync } from "node:child_process";
import { describeLab } from "./support/lab";
import { LabSession, WAIT } from "./support/session";
import { snapshot } from "./support/hosts";
import { loadConfig } from "../../config/load";
import { openDatabase } from "../../state/db";
import { BOT_MIGRATIONS } from "../../state/migrations";
import { DeviceStore } from "../../state/devices";

describeLab("SSH-only devices: !add-pc --via ssh", (lab) => {
  let session: LabSession;

  beforeAll(async () => {
    session = new LabSession(lab(), "ssh-devices");
    await session.start();
  }, 120_000);

  afterAll(() => session?.stop());

  const pc2Home = (): string => `${lab().hosts.pc2!.home!}/${lab().hosts.pc2!.viewerUser!}`;
  // find exits 1 when another process's temp dir vanishes mid-walk (a busy machine): what it
  // listed is still the answer, so only a failure to run at all is an error.
  const viewerTmp = (): string => {
    const found = spawnSync("find", ["/tmp", "-user", lab().hosts.pc2!.viewerUser!], { encoding: "utf8" });
    if (found.error) throw found.error;
    return found.stdout.trim();
  };
  const devices = (): DeviceStore =>
    new DeviceStore(
      openDatabase(`${loadConfig(lab().botConfig).config.state_dir}/meshpilot.db`, BOT_MIGRATIONS),
    );

  test("adds pc2: progress, outcome on the phone, the agent's room with its hello — and nothing changed on pc2", async () => {
    const before = snapshot(pc2Home());
    const tmpBefore = viewerTmp();
    const { sent, reaction } = await session.command(
      `!add-pc web2 --via ssh --ssh viewer@${lab().hosts.pc2!.ip}`,
    );
    expect(reaction).toBe("✅");
    const progress = session.noticeAfter(sent)!;
    expect(progress).toContain("[2/4] checking SSH reachability… ✓ (Debian");
    expect(progress).toContain("✓ agent-web2 live — say hi in #device-web2:meshpilot.test");
    expect(session.mentionAfter(sent)?.content.body).toBe(
      "operator: ✓ agent-web2 live — say hi in #device-web2:meshpilot.test",
    );

    const room = await session.operator.resolveAlias("#device-web2:meshpilot.test");
    await session.operator.waitForInvite((id) => id === room, WAIT);
    await session.operator.join(room);
    const messages = await session.operator.request<{
      chunk: Array<{ sender: string; content: { body?: string } }>;
    }>("GET", `/_matrix/client/v3/rooms/${encodeURIComponent(room)}/messages?dir=b&limit=20`);
    const hello = messages.chunk.find(
      (e) => e.sender === "@agent-web2:meshpilot.test" && e.content.body?.startsWith("Hello!"),
    );
    expect(hello?.content.body).toContain("reached over SSH as viewer@192.0.2.12");

    expect(snapshot(pc2Home())).toEqual(before);
    expect(viewerTmp()).toBe(tmpBefore);
    expect(devices().get("web2")).toMatchObject({
      backend: "ssh",
      status: "live",
      ssh_user: "viewer",
      room_id: room,
    });
  }, 120_000);

  test("the same command again changes nothing and says so", async () => {
    const { sent, reaction } = await session.command("!add-pc web2 --via ssh --ssh pc2-viewer");
    expect(reaction).toBe("✅");
    expect(session.noticeAfter(sent)).toBe(
      "web2 is already live — nothing changed. Its agent is in #device-web2:meshpilot.test.",
    );
  });

  test.each([
    [
      "!add-pc Foo_Bar --via ssh --ssh pc2-viewer",
      /^"Foo_Bar" is not a valid device name — use lower-case letters/,
    ],
    ["!add-pc a;rm -rf / --via ssh --ssh pc2-viewer", /too many arguments|is not a valid device name/],
    [`!add-pc ${"x".repeat(40)} --via ssh --ssh pc2-viewer`, /is not a valid device name/],
    [
      "!add-pc web3 --via ssh --ssh nosuchalias",
      // The lab's aliases (pi-admin too when the arm64 host is up), in the config's order.
      /^there is no SSH host alias "nosuchalias" — give user@host\[:port\] or one of: (pi-admin, )?pc2-viewer, pc1-admin, pc3-root$/,
    ],
    ["!add-pc web3 --via ssh", /^--via ssh needs --ssh user@host\[:port\]/],
    [
      "!add-pc web3 --via ssh --ssh viewer@192.0.2.12 --key /nonexistent/key",
      /^cannot read the SSH key \/nonexistent\/key \(ENOENT\)/,
    ],
  ])("bad input %s gets one sentence and no state", async (text, expected) => {
    const { sent, reaction } = await session.command(text);
    expect(reaction).toBe("❌");
    expect(session.noticeAfter(sent)).toMatch(expected);
    expect(
      devices()
        .list()
        .map((d) => d.name),
    ).toEqual(["web2"]);
  });

  test.each([
    [
      "an unreachable host",
      "viewer@192.0.2.99",
      /cannot reach viewer@192\.0\.2\.99 \(EHOSTUNREACH\)|did not answer the SSH handshake in time/,
    ],
    ["refused auth", "ghost@192.0.2.12", /refused the bot's SSH key for ghost/],
  ])(
    "%s fails at step 2, rolls back, and leaves nothing",
    async (_what, target, reason) => {
      const { sent, reaction } = await session.command(`!add-pc web3 --via ssh --ssh ${target}`);
      expect(reaction).toBe("❌");
      const outcome = String(session.mentionAfter(sent)?.content.body);
      expect(outcome).toMatch(/^operator: ✗ failed at \[2\/4\] checking SSH reachability: /);
      expect(outcome).toMatch(reason);
      expect(outcome).toContain("Rolled back: name released.");
      expect(devices().get("web3")).toBeUndefined();
    },
    120_000,
  );
});
