import { spawn } from "node:child_process";
import { join } from "node:path";
import { describeLab } from "./support/lab";
import { stopBotDaemon } from "../../lab/bot-process";

/** The demo is the end-to-end story: it runs here as the operator would run it, and must finish. */
describeLab("npm run demo (the operator's day)", (lab) => {
  afterAll(() => stopBotDaemon(lab()));

  test("runs every step of the day and ends with the Element login", async () => {
    const facts = lab();
    const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve) => {
      const child = spawn(process.execPath, [join(facts.repo, "dist/lab/demo.js")], {
        stdio: ["ignore", "pipe", "pipe"],
      });
      let output = "";
      child.stdout.on("data", (c: Buffer) => (output += c.toString()));
      child.stderr.on("data", (c: Buffer) => (output += c.toString()));
      child.on("close", (exit) => resolve({ code: exit, output }));
    });
    if (code !== 0) throw new Error(`the demo failed:\n${output}`);
    for (const expected of [
      "LOCAL STAND-IN of the Anthropic API",
      "✓ agent-pc1 live — say hi in #device-pc1:meshpilot.test",
      "agent-pc1  │ Your home directory on pc1 holds:",
      "✓ agent-pc2 live — say hi in #device-pc2:meshpilot.test",
      "🟢 pc1 wg 10.42.0.",
      "[ALERT] device_id=pc1 status=stale",
      "[RESOLVED] device_id=pc1 incident #",
      "✓ pc1 revoked: hub peer removed",
      `password    ${facts.operator.password}`,
    ]) {
      expect(output).toContain(expected);
    }
  }, 600_000);
});
