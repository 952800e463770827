import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { callTool, lastToolResults, say } from "../../lab/anthropic-standin";
import { describeLab } from "./support/lab";
import { WgAgentRoom } from "./support/wg-agent-room";

const SECRET = "safety-wg-escapes-secret-0123456789abcdef012345";

/**
 * Programs that run programs, through the whole chain (the stand-in model → the real bot →
 * the real device agent in pc1): each escape is refused by policy or waits for an
 * operator, and in no case does the marker file it would create appear.
 */
describeLab("safety: escapes over WireGuard wait or are refused, and run nothing", (lab) => {
  let pc1: WgAgentRoom;
  let marker: string;

  const toolResultAfter = (index: number): { content: string; isError: boolean } => {
    const request = pc1.standIn.requests[index];
    if (!request) throw new Error(`the model was not asked a ${index + 1}th time`);
    return lastToolResults(request)[0]!;
  };

  /** Scripts one tool call, asks, and waits for the 🚫 notice and the model's answer. */
  const refused = async (
    tool: string,
    input: Record<string, unknown>,
  ): Promise<{ notice: string; told: string }> => {
    pc1.standIn.script(callTool(tool, input), (request) =>
      say(`Outcome: ${lastToolResults(request)[0]!.content}`),
    );
    const sent = await pc1.ask(`please run ${tool}`);
    const notice = await pc1.notice(sent, (b) => b.startsWith("🚫"), `the 🚫 notice for ${tool}`);
    await pc1.says(sent, (b) => b.startsWith("Outcome:"), "the answer");
    const said = { notice: notice.content.body as string, told: toolResultAfter(1).content };
    process.stdout.write(`${tool} ${JSON.stringify(input)}\n  room: ${said.notice}\n  model: ${said.told}\n`);
    return said;
  };

  beforeAll(async () => {
    pc1 = new WgAgentRoom(lab(), "safety-wg", SECRET, { approval_timeout_s: 60 });
    await pc1.start();
    marker = join(pc1.home, "escaped-marker");
  }, 180_000);

  afterAll(() => pc1?.stop());

  beforeEach(() => {
    pc1.standIn.reset();
    rmSync(marker, { force: true });
  });

  test("shell.exec find … -exec sh -c 'touch MARKER' ; → refused by policy; the marker is absent", async () => {
    const before = (await pc1.audit()).length;
    const { notice, told } = await refused("shell_exec", {
      argv: ["find", pc1.home, "-exec", "sh", "-c", `touch ${marker}`, ";"],
    });
    expect(notice).toMatch(/refused by policy/);
    expect(told).toMatch(/^Refused by policy: /);
    expect(existsSync(marker)).toBe(false);
    // Nothing ran on pc1: any entry the device wrote for it is a refusal.
    const entries = (await pc1.audit()).slice(before);
    expect(entries.filter((e) => e.kind === "result" && e.refusal === null)).toEqual([]);
  }, 120_000);

  test("shell.eval 'touch MARKER' → an approval card (class run) to the operator; 👎 → nothing ran, the model was told", async () => {
    const command = `touch ${marker}`;
    pc1.standIn.script(callTool("shell_eval", { command }), (request) =>
      say(`Result: ${lastToolResults(request)[0]!.content}`),
    );
    const sent = await pc1.ask("create the marker with the shell");
    const card = await pc1.says(sent, (b) => b.includes("wants to run"), "the approval card");
    const body = card.content.body as string;
    expect(card.content.msgtype).toBe("m.text");
    expect(card.content["m.mentions"]).toEqual({ user_ids: [lab().operator.userId] });
    expect(body).toContain("shell.eval");
    expect(body).toContain(command);
    expect(body).toMatch(/\brun\b/);
    expect(existsSync(marker)).toBe(false);

    await pc1.session.operator.react(pc1.room, card.event_id, "👎");
    await pc1.says(card.event_id, (b) => b.startsWith("Result:"), "the answer after 👎");
    expect(toolResultAfter(1)).toEqual({
      content: `The operator (${lab().operator.userId}) refused this call. It was not run. Do not retry it unless the operator asks again.`,
      isError: true,
    });
    expect(existsSync(marker)).toBe(false);
    expect((await pc1.audit()).filter((e) => e.capability === "shell.eval")).toEqual([]);
  }, 120_000);

  test("git.status on a repo whose .git/config sets core.fsmonitor = touch MARKER → refused; the marker is absent", async () => {
    const repo = join(pc1.home, "hostile-repo");
    rmSync(repo, { recursive: true, force: true });
    mkdirSync(repo, { recursive: true });
    execFileSync("git", ["init", "-q", repo]);
    writeFileSync(join(repo, "file.txt"), "tracked\n");
    execFileSync("git", ["-C", repo, "-c", "user.name=e2e", "-c", "user.email=e2e@x", "add", "file.txt"]);
    execFileSync("git", [
      "-C",
      repo,
      "-c",
      "user.name=e2e",
      "-c",
      "user.email=e2e@x",
      "commit",
      "-qm",
      "one",
    ]);
    execFileSync("git", ["-C", repo, "config", "core.fsmonitor", `touch ${marker}`]);
    // The trap is real: git itself, run plainly, would create the marker.
    execFileSync("git", ["-C", repo, "status", "--porcelain"], { stdio: "ignore" });
    expect(existsSync(marker)).toBe(true);
    rmSync(marker);

    const { notice, told } = await refused("git_status", { repo });
    expect(notice).toMatch(/refused by policy/);
    expect(told).toMatch(/fsmonitor/);
    expect(existsSync(marker)).toBe(false);
  }, 120_000);

  test("shell.exec cat /etc/shadow → refused (outside the allowed paths); nothing is shown", async () => {
    const { notice, told } = await refused("shell_exec", { argv: ["cat", "/etc/shadow"] });
    expect(notice).toMatch(/\/etc\/shadow/);
    expect(told).toMatch(/^Refused by policy: .*\/etc\/shadow/);
    expect(told).not.toMatch(/root:/);
  }, 120_000);
});
