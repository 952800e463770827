import type { DeviceAnswer, FanoutCall } from "../../../../agents/fanout";
import { ApprovalBroker } from "../../../../agents/approvals";
import { HistoryStore } from "../../../../agents/history";
import { AgentHost, type AgentRoom } from "../../../../agents/host";
import type { Model, ModelReply } from "../../../../agents/model";
import type { OneShotRequest } from "../../../../agents/one-shot";
import { columns, mergedAnswer } from "../../../../bot/ask-table";
import { parseArgs } from "../../../../bot/commands/args";
import { askCommand, type AskDeps, type FanoutAgents } from "../../../../bot/commands/ask";
import type { CommandContext } from "../../../../bot/commands/types";
import { tagsIn, ELEMENT_X_TAGS } from "../../../../bot/html";
import type { Reply } from "../../../../bot/reply";
import type { Tool } from "../../../../capabilities/types";
import { UserError } from "../../../../common/errors";
import type { HealthRecord } from "../../../../health/store";
import type { Device } from "../../../../state/devices";
import { openDatabase } from "../../../../state/db";
import { BOT_MIGRATIONS } from "../../../../state/migrations";
import { memoryLogger } from "../../support/fakes";

const OP = "@op:example.org";

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
    os_pretty: null,
    agent_user_id: null,
    room_id: `!${name}`,
    mesh_ip: "10.77.0.2",
    manifest: JSON.stringify({ capabilities: { approval_classes: ["change", "run"] } }),
    created_at: 0,
    updated_at: 0,
    ...over,
  };
}

function record(name: string, status: HealthRecord["status"]): HealthRecord {
  return { name, status, reason: "no /health answer", since: 0, checked_at: 0 } as HealthRecord;
}

function context(): { ctx: CommandContext; told: Reply[]; replied: Reply[] } {
  const told: Reply[] = [];
  const replied: Reply[] = [];
  const ctx: CommandContext = {
    sender: OP,
    roomId: "!alerts",
    eventId: "$cmd",
    log: memoryLogger().log,
    reply: (r) => Promise.resolve(String(replied.push(r))),
    tell: (r) => Promise.resolve(String(told.push(r))),
    startProgress: () => Promise.reject(new Error("not used")),
  };
  return { ctx, told, replied };
}

function deps(devices: Device[], agents: FanoutAgents, over: Partial<AskDeps> = {}): AskDeps {
  return {
    devices: () => devices,
    health: () => new Map(),
    agents: () => agents,
    limits: { concurrency: 8, timeoutMs: 2000 },
    ...over,
  };
}

async function run(d: AskDeps, words: string[], ctx = context()) {
  const command = askCommand(d);
  await command.run(ctx.ctx, parseArgs(command, words));
  return ctx;
}

const answering = (answer: (name: string, call: FanoutCall) => Promise<DeviceAnswer>): FanoutAgents => ({
  askOnce: (d: Device, request: OneShotRequest) => answer(d.name, request.call),
});

describe("!ask", () => {
  test("the question is every word after the devices, -- words too", () => {
    const command = askCommand(
      deps(
        [],
        answering(() => Promise.resolve({ kind: "no_model" })),
      ),
    );
    expect(parseArgs(command, ["all", "what", "does", "--force", "do?"]).positionals).toEqual({
      devices: "all",
      question: "what does --force do?",
    });
    expect(() => parseArgs(command, ["all"])).toThrow("!ask needs <question>");
  });

  test("one merged m.text: a row per device (answer, timeout, down, no model), ≤ 40 columns, HTML escaped", async () => {
    const devices = [
      device("fa-wg"),
      device("fa-slow"),
      device("fa-off"),
      device("fa-new", { status: "provisioning" }),
      device("fa-a-very-long-device-name"),
    ];
    const agents = answering((name, call) => {
      if (name === "fa-slow") return new Promise(() => undefined);
      if (name === "fa-wg") {
        call.skipped.push("fs.write /home/a/<x>.txt");
        return Promise.resolve({
          kind: "answered",
          text: "漢字🟢 <b>90%</b> & `/var/log`\nfull and growing fast",
        });
      }
      return Promise.resolve({ kind: "no_model" });
    });
    const d = deps(devices, agents, {
      health: () => new Map([["fa-off", record("fa-off", "unreachable")]]),
      limits: { concurrency: 2, timeoutMs: 100 },
    });
    const { told, replied } = await run(d, ["all", "disk", "<full>?"]);
    expect(replied.map((r) => r.body)).toEqual([
      "📣 asking 5 devices (read-only; anything that needs approval is skipped)…",
    ]);
    expect(told).toHaveLength(1);
    const { body, html } = told[0]!;
    const grid = /<pre><code>([\s\S]*)<\/code><\/pre>/.exec(html!)![1]!;
    const lines = grid.split("\n");
    expect(lines[0]).toMatch(/^device +time answer$/);
    expect(lines.find((l) => l.startsWith("fa-wg "))).toMatch(/ 漢字🟢 &lt;b&gt;90%&lt;\/b&gt; &amp; \/…$/);
    expect(lines.find((l) => l.startsWith("fa-slow "))).toMatch(/timed out after 0 s$/);
    expect(lines.find((l) => l.startsWith("fa-off "))).toMatch(/ - down: unreachable$/);
    expect(lines.find((l) => l.startsWith("fa-new "))).toMatch(/ - down: being added$/);
    expect(lines.find((l) => l.startsWith("fa-a-very-l…"))).toMatch(/no model/);
    // The plain body is the same grid; every line of it fits a phone's 40 columns.
    const plainGrid = grid.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
    expect(body).toContain(plainGrid);
    for (const line of plainGrid.split("\n")) expect(columns(line)).toBeLessThanOrEqual(40);
    expect(body).toContain("📣 !ask all: disk <full>?");
    expect(body).toContain("5 devices · 1 answered · 2 down · 1 timed out · 1 no model");
    expect(body).toContain("• fa-wg: fs.write /home/a/<x>.txt");
    expect(html).toContain("<li>fa-wg: <code>fs.write /home/a/&lt;x&gt;.txt</code></li>");
    expect(html).not.toContain("<b>90%");
    expect(html).not.toContain("<full>");
    for (const tag of tagsIn(html!)) expect(ELEMENT_X_TAGS).toContain(tag);
  });

  test("names and tags: a comma list asks only those; tag: and unknown names are one sentence and ask no one", async () => {
    const asked: string[] = [];
    const agents = answering((name) => {
      asked.push(name);
      return Promise.resolve({ kind: "answered", text: "ok" });
    });
    const d = deps(
      [device("fa1"), device("fa2"), device("fa3"), device("fa4", { status: "revoked" })],
      agents,
    );
    await run(d, ["fa3,fa1,fa3", "uptime?"]);
    expect(asked.sort()).toEqual(["fa1", "fa3"]);
    asked.length = 0;
    await expect(run(d, ["tag:web", "uptime?"])).rejects.toThrow(
      new UserError(
        "devices have no tags yet, so tag:web matches none — name them instead: !ask <name,name,…> <question>",
      ),
    );
    await expect(run(d, ["fa1,nope,fa4", "uptime?"])).rejects.toThrow(
      "there is no device nope, fa4 — !devices lists them; use all or name,name",
    );
    expect(asked).toEqual([]);
  });

  test("a fan-out to a device another fan-out is still asking is refused with a sentence", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const agents = answering(async () => {
      await gate;
      return { kind: "answered", text: "ok" };
    });
    const d = deps([device("fa1"), device("fa2")], agents);
    const command = askCommand(d);
    const first = command.run(context().ctx, parseArgs(command, ["all", "q"]));
    await new Promise((r) => setTimeout(r, 10));
    await expect(command.run(context().ctx, parseArgs(command, ["fa2", "q"]))).rejects.toThrow(
      "a fan-out is still asking fa2 — its answer comes when it ends; ask again then",
    );
    release();
    await first;
    // Once it ended the devices are free again.
    await command.run(context().ctx, parseArgs(command, ["fa2", "q"]));
  });

  test("through the real agent host: a change-class call is listed, never executed, and no card is posted", async () => {
    const db = openDatabase(":memory:", BOT_MIGRATIONS);
    const log = memoryLogger().log;
    const executed: string[] = [];
    const posted: string[] = [];
    const write: Tool = {
      name: "fs.write",
      description: "writes a file",
      inputSchema: {},
      classify: () => ({ needed: true, callClass: "change", reason: "fs.write changes a file" }),
      timeoutMs: 1000,
      execute: (input) => Promise.resolve({ ok: true, output: String(executed.push(JSON.stringify(input))) }),
    };
    let round = 0;
    const model: Model = {
      create: () =>
        Promise.resolve<ModelReply>(
          round++ % 2 === 0
            ? {
                content: [
                  { type: "tool_use", id: "w", name: "fs_write", input: { path: "/home/a/x", content: "y" } },
                ],
                stopReason: "tool_use",
              }
            : {
                content: [{ type: "text", text: "I would need approval to write." }],
                stopReason: "end_turn",
              },
        ),
    };
    const room: AgentRoom = {
      say: (t) => Promise.resolve(String(posted.push(`say ${t}`))),
      notice: (t) => Promise.resolve(String(posted.push(`notice ${t}`))),
      ask: (card) => Promise.resolve(String(posted.push(`card ${card.body}`))),
      typing: () => Promise.resolve(),
    };
    const host = new AgentHost({
      model,
      registry: { toolsFor: () => [write] },
      history: new HistoryStore(db, { maxTurns: 5, maxTokens: 10_000 }),
      approvals: new ApprovalBroker(db, { operators: new Set([OP]), timeoutMs: 1000, log }),
      roomFor: () => room,
      limits: { maxToolRounds: 3, toolOutputMaxChars: 1000, approvalTimeoutS: 1 },
      agentPort: 7700,
      log,
    });
    const { told } = await run(deps([device("fa1")], host, { limits: { concurrency: 1, timeoutMs: 5000 } }), [
      "all",
      "write x",
    ]);
    expect(executed).toEqual([]);
    expect(posted.filter((p) => p.startsWith("card"))).toEqual([]);
    expect(posted).toEqual([`notice 📣 ${OP} asked (!ask all): write x\n\nI would need approval to write.`]);
    expect(told[0]!.body).toContain("• fa1: fs.write /home/a/x (1 bytes");
    expect(told[0]!.body).toMatch(/fa1 +\d\.\ds I would need approval to/);
  });
});

describe("mergedAnswer", () => {
  test("a timed-out row keeps the calls skipped before the timeout; times stay within four columns", () => {
    const text = mergedAnswer(
      "!ask all",
      "q",
      [
        { device: "fa1", ms: 118_400, skipped: ["pkg.install htop"], kind: "timed_out", afterS: 120 },
        { device: "fa2", ms: 420, skipped: [], kind: "failed", reason: "the model API could not be reached" },
      ],
      119_000,
    ).body;
    expect(text).toContain("fa1    118s timed out after 120 s");
    expect(text).toContain("fa2    0.4s no answer: the model API co…");
    expect(text).toContain("• fa1: pkg.install htop");
  });
});
