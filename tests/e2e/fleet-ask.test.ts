import { existsSync } from "node:fs";
import { join } from "node:path";
import { loadConfig } from "../../config/load";
import {
  AnthropicStandIn,
  callTool,
  lastToolResults,
  say,
  type Scripted,
  type StandInRequest,
} from "../../lab/anthropic-standin";
import type { MatrixEvent } from "../../lab/matrix-client";
import { STANDIN_KEY } from "./support/agents";
import { joinDeviceRoom, revokeDevice, type DeviceRoom } from "./support/device-room";
import { alertMatching, healthOf, waitUntil } from "./support/health";
import { sshAs } from "./support/hosts";
import { describeLab } from "./support/lab";
import { writeSafetyConfig } from "./support/safety-config";
import { LabSession, WAIT } from "./support/session";

const MARKER = "fa-ask-write-marker.txt";
const QUESTION = "What is in your home directory?";
/** Stops this host user's agent only (its own home in the pattern): other agents keep running. */
const STOP_AGENT = `if [ -f ~/.local/state/meshpilot/agent.pid ]; then kill -- -"$(cat ~/.local/state/meshpilot/agent.pid)" 2>/dev/null; fi; pkill -u "$(id -u)" -f "$HOME/.local/share/meshpilot/([s]upervise|[d]evice-agent)"; true`;
/** A host left as before any add: no tunnel, no agent, no agent files (`sudo` for a non-root user). */
const cleanWg = (sudo: string): string =>
  `${sudo}wg-quick down mesh0 2>/dev/null; ${sudo}rm -f /etc/wireguard/mesh0.conf; ${STOP_AGENT}; rm -rf ~/.local/share/meshpilot ~/.config/meshpilot ~/.local/state/meshpilot; true`;

/**
 * `!ask all` over the real lab: fa-wg (WireGuard, pc1), fa-ssh (SSH-only, pc2) and fa-off
 * (WireGuard on pc3, its agent stopped and seen unreachable by the health monitor). The model
 * stand-in answers each device from its own tool results; fa-wg's model also tries fs.write,
 * which needs approval and so is skipped, listed, and never run.
 */
describeLab("!ask all: one question to the fleet", (lab) => {
  let standIn: AnthropicStandIn;
  let session: LabSession;
  let stateDir: string;
  let wg: DeviceRoom;
  let ssh: DeviceRoom;
  const added: string[] = [];
  const pc1Home = (): string => join(lab().hosts.pc1!.home!, "lucas");

  const answerFor = (request: StandInRequest): Scripted => {
    const device = /"(fa-[a-z]+)"/.exec(request.body.system ?? "")?.[1] ?? "unknown";
    const results = lastToolResults(request);
    if (results.length > 0) {
      const ok = results.filter((r) => !r.isError).length;
      return say(`${device} read its home: ${ok} ok, ${results.length - ok} not run`);
    }
    if (device === "fa-wg")
      return {
        kind: "reply",
        content: [
          { type: "tool_use", id: "toolu_fa_list", name: "fs_list", input: { path: "/home/lucas" } },
          {
            type: "tool_use",
            id: "toolu_fa_write",
            name: "fs_write",
            input: { path: `/home/lucas/${MARKER}`, content: "written by !ask" },
          },
        ],
        stopReason: "tool_use",
      };
    if (device === "fa-ssh")
      return callTool("ssh_fs_list", { path: `/home/${lab().hosts.pc2!.viewerUser!}` });
    return say(`unexpected device ${device}`);
  };

  const add = async (command: string, name: string): Promise<void> => {
    const { sent, reaction } = await session.command(command);
    if (reaction !== "✅")
      throw new Error(`${command} failed: ${session.noticeAfter(sent) ?? "(no notice)"}`);
    added.push(name);
  };

  beforeAll(async () => {
    sshAs(lab(), "pc1", "lucas", cleanWg("sudo -n "));
    sshAs(lab(), "pc3", "root", cleanWg(""));
    sshAs(lab(), "pc1", "lucas", `rm -f ~/${MARKER}`);
    standIn = await AnthropicStandIn.start({ apiKey: STANDIN_KEY });
    const configFile = writeSafetyConfig(lab(), "fleet-ask", standIn.url, {
      health: {
        interval_s: 3,
        stale_after_s: 170,
        probe_timeout_s: 2,
        probe_retries: 1,
        concurrency: 8,
        flap_window_s: 60,
        flap_max_alerts: 50,
      },
    });
    stateDir = loadConfig(configFile).config.state_dir;
    session = new LabSession(lab(), "fleet-ask", {}, { configFile });
    await session.start();
    await add("!add-pc fa-wg --via wg --ssh lucas@192.0.2.11", "fa-wg");
    await add("!add-pc fa-ssh --via ssh --ssh pc2-viewer", "fa-ssh");
    await add("!add-pc fa-off --via wg --ssh pc3-root", "fa-off");
    wg = await joinDeviceRoom(session, lab(), "fa-wg");
    ssh = await joinDeviceRoom(session, lab(), "fa-ssh");
    await waitUntil("fa-wg online", () => healthOf(stateDir, "fa-wg")?.status === "online", WAIT);
    // fa-off's agent stops; the health monitor sees it and the fan-out then counts it down.
    await waitUntil("fa-off online", () => healthOf(stateDir, "fa-off")?.status === "online", WAIT);
    sshAs(lab(), "pc3", "root", STOP_AGENT);
    await waitUntil(
      "fa-off unreachable",
      () => ["unreachable", "stale"].includes(healthOf(stateDir, "fa-off")?.status ?? ""),
      WAIT,
    );
  }, 400_000);

  afterAll(async () => {
    try {
      for (const name of added) await revokeDevice(session, lab(), name);
    } finally {
      await session?.stop();
      await standIn?.stop();
    }
  }, 300_000);

  test("merged table in the control room, each answer in its device room, the change-class call listed and not run", async () => {
    standIn.reset();
    standIn.otherwise(answerFor);
    const { sent, reaction } = await session.command(`!ask all ${QUESTION}`);
    expect(reaction).toBe("✅");
    const merged = await session.operator.waitForAfter(
      sent,
      alertMatching(lab(), session.alertsRoom, /📣 !ask all: /),
      WAIT,
      "the merged answer",
    );
    // An m.text mentioning the operator: it reaches the phone.
    expect(merged.content["m.mentions"]).toEqual({ user_ids: [lab().operator.userId] });
    const body = merged.content.body as string;
    expect(body).toContain(`📣 !ask all: ${QUESTION}`);
    expect(body).toMatch(/3 devices · 2 answered · 1 down · /);
    const html = merged.content.formatted_body as string;
    const grid = /<pre><code>([\s\S]*?)<\/code><\/pre>/.exec(html)![1]!;
    const lines = grid.split("\n");
    expect(lines).toEqual([
      expect.stringMatching(/^device +time answer$/),
      expect.stringMatching(/^fa-off +- down: (unreachable|stale)$/),
      expect.stringMatching(/^fa-ssh +\d+(\.\d)?s fa-ssh read its home: 1 ok,/),
      expect.stringMatching(/^fa-wg +\d+(\.\d)?s fa-wg read its home: 1 ok,/),
    ]);
    for (const line of lines) expect([...line].length).toBeLessThanOrEqual(40);
    expect(body).toContain(grid);
    expect(body).toMatch(/^• fa-wg: fs\.write \/home\/lucas\/fa-ask-write-marker\.txt \(15 bytes/m);

    // Each device room has the whole answer, as its agent's notice (no second push).
    const roomAnswer = (device: DeviceRoom, name: string): Promise<MatrixEvent> =>
      session.operator.waitForAfter(
        sent,
        (e) =>
          e.room_id === device.room &&
          e.sender === device.agent &&
          e.content.msgtype === "m.notice" &&
          String(e.content.body).startsWith(`📣 ${lab().operator.userId} asked (!ask all): ${QUESTION}`),
        WAIT,
        `${name}'s answer in its room`,
      );
    expect((await roomAnswer(wg, "fa-wg")).content.body).toContain("fa-wg read its home: 1 ok, 1 not run");
    expect((await roomAnswer(ssh, "fa-ssh")).content.body).toContain("fa-ssh read its home: 1 ok, 0 not run");

    // The write was refused before anything was sent: the model was told, no card was posted,
    // and the file does not exist on pc1.
    const wgResults = standIn.requests
      .filter((r) => (r.body.system ?? "").includes('"fa-wg"'))
      .flatMap(lastToolResults);
    expect(wgResults.map((r) => r.isError)).toEqual([false, true]);
    expect(wgResults[1]!.content).toMatch(/^Not run: this question was sent to many devices at once/);
    expect(
      session.operator.events.filter(
        (e) =>
          e.room_id === wg.room &&
          typeof e.content.body === "string" &&
          e.content.body.includes("wants to run"),
      ),
    ).toEqual([]);
    expect(existsSync(join(pc1Home(), MARKER))).toBe(false);
    // fa-off was never asked: no request carried its prompt.
    expect(standIn.requests.some((r) => (r.body.system ?? "").includes('"fa-off"'))).toBe(false);
  }, 180_000);
});
