import { ApprovalBroker } from "../../../agents/approvals";
import { fanOut, type DeviceAnswer, type FanoutCall } from "../../../agents/fanout";
import { HistoryStore } from "../../../agents/history";
import { AgentHost, type AgentRoom } from "../../../agents/host";
import type { Model, ModelReply, ModelRequest } from "../../../agents/model";
import type { Tool } from "../../../capabilities/types";
import type { Device } from "../../../state/devices";
import { openDatabase } from "../../../state/db";
import { BOT_MIGRATIONS } from "../../../state/migrations";
import { memoryLogger } from "../support/fakes";

const OP = "@op:example.org";
const tick = (ms = 0): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe("fanOut", () => {
  test("never runs more than `concurrency` devices at once, and keeps the targets' order", async () => {
    let running = 0;
    let most = 0;
    const targets = Array.from({ length: 10 }, (_, i) => ({ name: `fa${i}` }));
    const rows = await fanOut(
      targets,
      async (target): Promise<DeviceAnswer> => {
        running++;
        most = Math.max(most, running);
        await tick(5 + (Number(target.name.slice(2)) % 3) * 5);
        running--;
        return { kind: "answered", text: `hi from ${target.name}` };
      },
      { concurrency: 3, timeoutMs: 5000 },
    );
    expect(most).toBe(3);
    expect(rows.map((r) => r.device)).toEqual(targets.map((t) => t.name));
    expect(rows.every((r) => r.kind === "answered" && r.text === `hi from ${r.device}`)).toBe(true);
  });

  test("a device that does not answer in time is a timed-out row, and its turn is told to stop", async () => {
    let signal: AbortSignal | undefined;
    const rows = await fanOut(
      [{ name: "slow" }, { name: "quick" }],
      (target, call) => {
        if (target.name === "quick") return Promise.resolve({ kind: "answered", text: "ok" });
        signal = call.signal;
        call.skipped.push("fs.write /home/a/x");
        return new Promise<DeviceAnswer>(() => undefined);
      },
      { concurrency: 2, timeoutMs: 50 },
    );
    expect(rows[0]).toMatchObject({ device: "slow", kind: "timed_out", skipped: ["fs.write /home/a/x"] });
    expect(rows[0]!.ms).toBeGreaterThanOrEqual(45);
    expect(rows[1]).toMatchObject({ device: "quick", kind: "answered", text: "ok" });
    expect(signal?.aborted).toBe(true);
  });

  test("a device known to be down is a row saying so and is never asked; a thrown turn is a failed row", async () => {
    const asked: string[] = [];
    const rows = await fanOut(
      [{ name: "off", down: "unreachable" }, { name: "boom" }],
      (target) => {
        asked.push(target.name);
        return Promise.reject(new Error("no tools for boom"));
      },
      { concurrency: 8, timeoutMs: 1000 },
    );
    expect(asked).toEqual(["boom"]);
    expect(rows).toEqual([
      { device: "off", ms: 0, skipped: [], kind: "down", reason: "unreachable" },
      expect.objectContaining({ device: "boom", kind: "failed", reason: "no tools for boom" }),
    ]);
  });
});

describe("AgentHost.askOnce", () => {
  const device = {
    name: "fa1",
    backend: "wg",
    os: "linux",
    arch: "amd64",
    room_id: "!fa1",
    manifest: JSON.stringify({ capabilities: { approval_classes: ["change", "run"] } }),
  } as Device;

  function setup(model: Model | undefined, tools: Tool[]) {
    const db = openDatabase(":memory:", BOT_MIGRATIONS);
    const log = memoryLogger().log;
    const posted: string[] = [];
    const room: AgentRoom = {
      say: (text) => Promise.resolve(String(posted.push(`say: ${text}`))),
      notice: (text) => Promise.resolve(String(posted.push(`notice: ${text}`))),
      ask: (card) => Promise.resolve(String(posted.push(`card: ${card.body}`))),
      typing: () => Promise.resolve(),
    };
    const history = new HistoryStore(db, { maxTurns: 5, maxTokens: 10_000 });
    const approvals = new ApprovalBroker(db, { operators: new Set([OP]), timeoutMs: 1000, log });
    const host = new AgentHost({
      model,
      registry: { toolsFor: () => tools },
      history,
      approvals,
      roomFor: () => room,
      limits: { maxToolRounds: 3, toolOutputMaxChars: 1000, approvalTimeoutS: 1 },
      agentPort: 7700,
      log,
    });
    const call = (): FanoutCall => ({ signal: new AbortController().signal, skipped: [] });
    return { host, posted, history, db, call };
  }

  const tool = (name: string, callClass: "read" | "change", executed: string[]): Tool => ({
    name,
    description: name,
    inputSchema: {},
    classify: () => ({ needed: callClass !== "read", callClass, reason: `${name} is ${callClass}` }),
    timeoutMs: 1000,
    execute: (input) =>
      Promise.resolve({ ok: true, output: String(executed.push(`${name} ${JSON.stringify(input)}`)) }),
  });

  test("a change-class call is skipped, listed, never executed and posts no card; the model is told why", async () => {
    const executed: string[] = [];
    const requests: ModelRequest[] = [];
    const model: Model = {
      create: (request): Promise<ModelReply> => {
        requests.push(request);
        return Promise.resolve(
          requests.length === 1
            ? {
                content: [
                  { type: "tool_use", id: "a", name: "fs_list", input: { path: "/home/a" } },
                  { type: "tool_use", id: "b", name: "fs_write", input: { path: "/home/a/x", content: "y" } },
                ],
                stopReason: "tool_use",
              }
            : { content: [{ type: "text", text: "Disk is 40% full." }], stopReason: "end_turn" },
        );
      },
    };
    const { host, posted, history, db, call } = setup(model, [
      tool("fs.list", "read", executed),
      tool("fs.write", "change", executed),
    ]);
    const c = call();
    const answer = await host.askOnce(device, { question: "disk?", caller: OP, label: "!ask all", call: c });
    expect(answer).toEqual({ kind: "answered", text: "Disk is 40% full." });
    expect(executed).toEqual(['fs.list {"path":"/home/a"}']);
    expect(c.skipped).toEqual([expect.stringMatching(/^fs\.write \/home\/a\/x/)]);
    expect(posted.filter((p) => p.startsWith("card:"))).toEqual([]);
    expect(db.prepare("SELECT COUNT(*) AS n FROM agent_approvals").get()).toEqual({ n: 0 });
    const results = JSON.stringify(requests[1]!.messages);
    expect(results).toContain("no operator is asked to approve anything");
    // The room gets one notice (no push) with the question and the answer; history one closed turn.
    expect(posted).toEqual([`notice: 📣 ${OP} asked (!ask all): disk?\n\nDisk is 40% full.`]);
    expect(history.load("!fa1")).toEqual([
      { role: "user", content: [{ type: "text", text: "(!ask all) disk?" }] },
      { role: "assistant", content: [{ type: "text", text: "Disk is 40% full." }] },
    ]);
    // A fan-out turn reads no history: the first request held only the question.
    expect(requests[0]!.messages).toHaveLength(1);
  });

  test("without a model: no_model, and nothing is posted", async () => {
    const { host, posted, call } = setup(undefined, []);
    expect(
      await host.askOnce(device, { question: "q", caller: OP, label: "!ask all", call: call() }),
    ).toEqual({
      kind: "no_model",
    });
    expect(posted).toEqual([]);
  });

  test("once the fan-out gave up, the turn sends no further request and leaves history alone", async () => {
    const controller = new AbortController();
    let requests = 0;
    const model: Model = {
      create: () => {
        requests++;
        controller.abort();
        return Promise.resolve({
          content: [{ type: "tool_use", id: "a", name: "fs_list", input: { path: "/" } }],
          stopReason: "tool_use",
        });
      },
    };
    const executed: string[] = [];
    const { host, history } = setup(model, [tool("fs.list", "read", executed)]);
    const answer = await host.askOnce(device, {
      question: "q",
      caller: OP,
      label: "!ask all",
      call: { signal: controller.signal, skipped: [] },
    });
    expect(requests).toBe(1);
    expect(executed).toEqual([]);
    expect(answer).toMatchObject({ kind: "failed" });
    expect(history.load("!fa1")).toEqual([]);
  });
});
