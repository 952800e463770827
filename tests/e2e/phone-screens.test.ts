/**
 * Screens as the operator sees them: the `!health` grid, an alert and an approval request,
 * rendered the way Element X shows them (only its HTML tags; a grid is a monospace <pre>)
 * in headless Chromium at phone width (390 px). The PNGs stay in test-artifacts/phone/.
 *
 * Needs Debian's `chromium` (scripts/install-deps.sh), not the lab. Off CI it skips when
 * chromium is missing; with CI=true it fails instead.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { withCode } from "../../bot/agents";
import { healthGrid, type GridEntry } from "../../bot/health-grid";
import { ELEMENT_X_TAGS, escapeHtml, tagsIn } from "../../bot/html";
import { mentionContent, noticeContent, plain, type MessageContent } from "../../bot/reply";
import { alertLine, incidentResolvedLine } from "../../health/alerts";
import { emptyRecord, type HealthRecord } from "../../health/store";
import type { Device } from "../../state/devices";

const VIEWPORT = 390;
const OUT = resolve(__dirname, "../../test-artifacts/phone");
const OPERATOR = "@operator:meshpilot.test";
const NOW = Date.parse("2026-03-14T09:30:00Z");

const CHROMIUM = ["chromium", "chromium-browser", "google-chrome"].find(
  (bin) => spawnSync("sh", ["-c", `command -v ${bin}`]).status === 0,
);
const onCi = process.env.CI === "true";
const describeIf = CHROMIUM || onCi ? describe : describe.skip;

function device(name: string, over: Partial<Device> = {}): Device {
  return {
    name,
    backend: "wg",
    status: "live",
    ssh_user: "lucas",
    ssh_host: "192.0.2.11",
    ssh_port: 22,
    os: "linux",
    arch: "amd64",
    os_pretty: "Debian GNU/Linux 12 (bookworm)",
    agent_user_id: null,
    room_id: null,
    mesh_ip: "10.42.0.2",
    manifest: null,
    created_at: 0,
    updated_at: 0,
    ...over,
  };
}

function health(name: string, over: Partial<HealthRecord>): HealthRecord {
  return { ...emptyRecord(name, NOW - 3 * 3600_000), audit_count: 128, audit_hash: "ab".repeat(32), ...over };
}

/** A fleet as a person would have it: online, stale, unreachable, revoked. */
const ENTRIES: GridEntry[] = [
  {
    device: device("pc1"),
    health: health("pc1", {
      status: "online",
      last_handshake: NOW / 1000 - 20,
      capabilities: 14,
      last_call_at: NOW - 4 * 60_000,
    }),
  },
  {
    device: device("aurgi-pc", { mesh_ip: "10.42.0.3", ssh_host: "203.0.113.7" }),
    health: health("aurgi-pc", {
      status: "stale",
      reason: "handshake 8 min ago",
      since: NOW - 8 * 60_000,
      last_handshake: NOW / 1000 - 480,
      capabilities: 14,
      audit_count: 37,
    }),
  },
  {
    device: device("web1", { backend: "ssh", mesh_ip: null, ssh_host: "198.51.100.20" }),
    health: health("web1", {
      status: "unreachable",
      reason: "ssh: ECONNREFUSED",
      since: NOW - 2 * 60_000,
      capabilities: 3,
      audit_count: 12,
    }),
  },
  {
    device: device("old-laptop", { status: "revoked", mesh_ip: "10.42.0.4" }),
    health: health("old-laptop", { status: "revoked", reason: "revoked", since: NOW - 2 * 86_400_000 }),
  },
];

/** The `!health` reply exactly as bot/commands/health.ts builds it. */
function healthMessage(): MessageContent {
  const text = healthGrid(ENTRIES, NOW);
  return noticeContent({ body: text, html: `<pre><code>${escapeHtml(text)}</code></pre>` });
}

function alertMessages(): MessageContent[] {
  return [
    mentionContent(
      [OPERATOR],
      plain(alertLine("aurgi-pc", { status: "stale", reason: "handshake 8 min ago" }, 12)),
    ),
    mentionContent([OPERATOR], plain(incidentResolvedLine("aurgi-pc", 12, 12 * 60_000))),
    mentionContent(
      [OPERATOR],
      withCode("agent-pc1 wants to run `docker.restart nginx` — react 👍 or ✅ to allow, 👎 or ❌ to refuse"),
    ),
  ];
}

interface Shown {
  sender: string;
  content: MessageContent;
}

/** Element X's timeline, roughly: sender, then the message's HTML in a bubble; a notice is grey. */
function page(messages: readonly Shown[]): string {
  const bubbles = messages
    .map(
      ({ sender, content }) => `<div class="msg ${content.msgtype === "m.notice" ? "notice" : ""}">
<div class="sender">${escapeHtml(sender)}</div>
<div class="body">${content.formatted_body ?? escapeHtml(content.body)}</div>
</div>`,
    )
    .join("\n");
  return `<!doctype html>
<html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<style>
  html, body { margin: 0; background: #fff; color: #1b1d22; }
  body { font: 16px/1.4 "DejaVu Sans", "Noto Color Emoji", sans-serif; padding: 8px 12px; }
  .msg { margin: 0 0 14px; }
  .sender { font-weight: 600; font-size: 14px; color: #0467dd; margin-bottom: 2px; }
  .body { background: #f0f2f5; border-radius: 12px; padding: 8px 10px; overflow-wrap: anywhere; }
  .notice .body { color: #656d77; }
  .body a { color: #0467dd; text-decoration: none; font-weight: 600; }
  .body code { font: 14px/1.35 "DejaVu Sans Mono", "Noto Color Emoji", monospace; }
  .body pre { margin: 0; white-space: pre; }
</style></head>
<body>${bubbles}</body></html>`;
}

/**
 * Headless Chromium keeps its window at least 500 px wide for --dump-dom, so the page is
 * measured inside a 390 px iframe, whose viewport is the phone's; the result is written
 * into the DOM that --dump-dom prints.
 */
function measuringPage(inner: string): string {
  return `<!doctype html><html><body style="margin:0">
<iframe id="f" style="border:0;width:${VIEWPORT}px;height:844px" srcdoc="${escapeHtml(inner)}"></iframe>
<output id="m"></output>
<script>
document.getElementById("f").addEventListener("load", (event) => {
  const doc = event.target.contentDocument;
  const pres = [...doc.querySelectorAll("pre")];
  document.getElementById("m").textContent = JSON.stringify({
    viewport: event.target.contentWindow.innerWidth,
    scrollWidth: doc.documentElement.scrollWidth,
    pre: pres.map((p) => ({ scroll: p.scrollWidth, client: p.clientWidth })),
  });
});
</script></body></html>`;
}

function chromium(args: string[]): string {
  const profile = mkdtempSync(join(tmpdir(), "meshpilot-chromium-"));
  try {
    const run = spawnSync(
      CHROMIUM ?? "chromium",
      [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        `--user-data-dir=${profile}`,
        `--window-size=${VIEWPORT},844`,
        ...args,
      ],
      { encoding: "utf8", timeout: 60_000 },
    );
    if (run.error) throw run.error;
    if (run.status !== 0) throw new Error(`chromium exited ${run.status}: ${run.stderr}`);
    return run.stdout;
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}

function pngSize(file: string): { width: number; height: number } {
  const head = readFileSync(file).subarray(0, 24);
  expect(head.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  expect(head.subarray(12, 16).toString("latin1")).toBe("IHDR");
  return { width: head.readUInt32BE(16), height: head.readUInt32BE(20) };
}

function unescapeHtml(html: string): string {
  return html
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, "&");
}

/** What the phone shows of a fragment as text: <br> is a new line, tags go. */
function textOf(html: string): string {
  return unescapeHtml(html.replace(/<br>/g, "\n").replace(/<[^>]+>/g, ""));
}

describeIf("screens at phone width (headless Chromium, 390 px)", () => {
  beforeAll(() => {
    if (!CHROMIUM) throw new Error("chromium is not installed (scripts/install-deps.sh installs it)");
    mkdirSync(OUT, { recursive: true });
  });

  const screens: Array<[string, () => Shown[]]> = [
    ["health", () => [{ sender: "meshpilot", content: healthMessage() }]],
    [
      "alerts",
      () => {
        const [alert, resolved, approval] = alertMessages();
        return [
          { sender: "meshpilot", content: alert! },
          { sender: "meshpilot", content: resolved! },
          { sender: "agent-pc1", content: approval! },
        ];
      },
    ],
  ];

  test.each(screens)(
    "%s: only Element X's tags, a 390 px PNG, nothing wider than the screen",
    (name, build) => {
      const messages = build();
      for (const { content } of messages)
        for (const tag of tagsIn(content.formatted_body ?? ""))
          expect(ELEMENT_X_TAGS as readonly string[]).toContain(tag);

      const html = join(OUT, `${name}.html`);
      writeFileSync(html, page(messages));
      const png = join(OUT, `${name}.png`);
      rmSync(png, { force: true });
      chromium(["--hide-scrollbars", `--screenshot=${png}`, `file://${html}`]);
      expect(existsSync(png)).toBe(true);
      expect(pngSize(png).width).toBe(VIEWPORT);

      const measured = join(OUT, `${name}.measure.html`);
      writeFileSync(measured, measuringPage(page(messages)));
      const dom = chromium(["--virtual-time-budget=5000", "--dump-dom", `file://${measured}`]);
      const json = /<output id="m">([^<]*)<\/output>/.exec(dom)?.[1];
      expect(json).toBeTruthy();
      const m = JSON.parse(unescapeHtml(json!)) as {
        viewport: number;
        scrollWidth: number;
        pre: Array<{ scroll: number; client: number }>;
      };
      expect(m.viewport).toBe(VIEWPORT);
      expect(m.scrollWidth).toBeLessThanOrEqual(VIEWPORT);
      for (const pre of m.pre) expect(pre.scroll).toBeLessThanOrEqual(pre.client);
    },
  );

  test("the grid's plain-text fallback has the same lines as the grid", () => {
    const content = healthMessage();
    const grid = healthGrid(ENTRIES, NOW);
    expect(content.body.split("\n")).toEqual(grid.split("\n"));
    expect(textOf(content.formatted_body!).split("\n")).toEqual(grid.split("\n"));
    // Reads well as plain text: no markup, one line per fact, a status on every device.
    expect(content.body).not.toMatch(/<|&[a-z]+;/);
    for (const status of ["🟢 pc1", "🟡 aurgi-pc", "🔴 web1", "⚫ old-laptop"])
      expect(content.body).toContain(status);
  });

  test("alerts and the approval request read the same in plain text and push (m.text, mentioning)", () => {
    for (const content of alertMessages()) {
      expect(content.msgtype).toBe("m.text");
      expect(content["m.mentions"]).toEqual({ user_ids: [OPERATOR] });
      expect(textOf(content.formatted_body!)).toBe(content.body.replace(/`/g, ""));
      expect(content.body).not.toMatch(/<|&[a-z]+;/);
    }
  });
});
