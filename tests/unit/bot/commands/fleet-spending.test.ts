import { GrantStore } from "../../../../agents/approval-grants";
import { scopeOf, type ApprovalScope } from "../../../../agents/approval-scope";
import { UsageStore } from "../../../../agents/usage-store";
import { approvalsCommand } from "../../../../bot/commands/approvals";
import { budgetCommand } from "../../../../bot/commands/budget";
import { usageCommand, usageGrid } from "../../../../bot/commands/usage";
import type { Command, CommandContext } from "../../../../bot/commands/types";
import type { Reply } from "../../../../bot/reply";
import { isUserError } from "../../../../common/errors";
import { openDatabase, type Db } from "../../../../state/db";
import { BOT_MIGRATIONS } from "../../../../state/migrations";
import { memoryLogger } from "../../support/fakes";

const OP = "@op:example.org";
const T0 = Date.parse("2026-12-02T14:00:00Z");

/** Runs a command as the operator; returns what they read (a refusal as "refused: …"). */
function runner(command: Command) {
  const replies: Reply[] = [];
  const ctx: CommandContext = {
    sender: OP,
    roomId: "!control",
    eventId: "$e",
    log: memoryLogger().log,
    reply: (r) => Promise.resolve(String(replies.push(r))),
    tell: (r) => Promise.resolve(String(replies.push(r))),
    startProgress: () => Promise.reject(new Error("not used")),
  };
  return async (positionals: Record<string, string>): Promise<Reply> => {
    try {
      await command.run(ctx, { positionals, flags: {} });
    } catch (error) {
      if (!isUserError(error)) throw error;
      return { body: `refused: ${error.message}`, html: "" };
    }
    return replies[replies.length - 1]!;
  };
}

const writeScope = (device: string): ApprovalScope =>
  scopeOf(
    { name: device, created_at: 1, os: "linux" },
    "fs.write",
    { path: "/x" },
    {
      needed: true,
      callClass: "change",
      reason: "r",
    },
  )!;
const systemctl: ApprovalScope = {
  device: "web-frontend-eu-west",
  deviceSince: 1,
  tool: "shell.exec",
  callClass: "change",
  program: "systemctl",
};

describe("!approvals", () => {
  let db: Db;
  let clock: { t: number };
  let grants: GrantStore;
  beforeEach(() => {
    db = openDatabase(":memory:", BOT_MIGRATIONS);
    clock = { t: T0 };
    grants = new GrantStore(db, () => clock.t);
  });

  test("lists live grants (device, scope, by, until) in 40 columns; expired ones are gone", async () => {
    const run = runner(approvalsCommand({ grants }));
    expect((await run({})).body).toBe("no live session grants\n(🔁 on an approval card makes one)");
    grants.create(writeScope("pc1"), OP, "!r", "$c1", 15 * 60_000);
    grants.create(systemctl, "@second-operator:example.org", "!r2", "$c2", 5 * 60_000);
    const list = await run({});
    expect(list.body.split("\n")).toEqual([
      "session grants: 2 live",
      "#2 web-frontend-eu-west until 14:05 UTC",
      "  change calls of systemctl through",
      "    shell.exec",
      "  by @second-operator:example.org, used",
      "    0×",
      "#1 pc1 until 14:15 UTC",
      "  fs.write calls",
      "  by @op:example.org, used 0×",
      "!approvals revoke <id|all> ends them;",
      "a restart ends them all.",
    ]);
    expect(list.body.split("\n").every((l) => l.length <= 40)).toBe(true);
    expect(list.html?.startsWith("<pre><code>")).toBe(true);
    clock.t = T0 + 5 * 60_000;
    expect((await run({})).body).toContain("session grants: 1 live\n#1 pc1");
  });

  test("revoke <id> ends one grant, revoke all the rest; bad input changes nothing", async () => {
    const run = runner(approvalsCommand({ grants }));
    grants.create(writeScope("pc1"), OP, "!r", "$c1", 60_000);
    grants.create(writeScope("pc2"), OP, "!r", "$c2", 60_000);
    grants.create(systemctl, OP, "!r", "$c3", 60_000);
    for (const [positionals, sentence] of [
      [
        { action: "revoke" },
        "refused: say which grant to end: a number from !approvals, or all — usage: !approvals [revoke <id|all>]",
      ],
      [
        { action: "revoke", which: "1x" },
        "refused: say which grant to end: a number from !approvals, or all — usage: !approvals [revoke <id|all>]",
      ],
      [
        { action: "revoke", which: "9" },
        "refused: there is no live session grant #9 — !approvals lists them",
      ],
      [
        { action: "drop", which: "1" },
        "refused: !approvals takes nothing or revoke, not drop — usage: !approvals [revoke <id|all>]",
      ],
    ] as const)
      expect((await run(positionals)).body).toBe(sentence);
    expect(grants.live()).toHaveLength(3);
    expect((await run({ action: "revoke", which: "#2" })).body).toBe(
      "Ended #2 (fs.write calls on pc2). Those calls ask again.",
    );
    expect(grants.covering(writeScope("pc2"))).toBeUndefined();
    expect(grants.covering(writeScope("pc1"))).toBeDefined();
    expect((await run({ action: "revoke", which: "all" })).body).toBe(
      "Ended #1 (fs.write calls on pc1), #3 (change calls of systemctl through shell.exec on web-frontend-eu-west). Those calls ask again.",
    );
    expect(grants.live()).toEqual([]);
    expect(db.prepare("SELECT id, ended_by, end_reason FROM approval_grants ORDER BY id").all()).toEqual([
      { id: 1, ended_by: OP, end_reason: "revoked" },
      { id: 2, ended_by: OP, end_reason: "revoked" },
      { id: 3, ended_by: OP, end_reason: "revoked" },
    ]);
    expect((await run({ action: "revoke", which: "all" })).body).toBe(
      "There were no live session grants; nothing changed.",
    );
  });
});

describe("!usage and !budget", () => {
  let db: Db;
  let clock: { t: number };
  let usage: UsageStore;
  const prices = { "claude-a": { input_per_mtok: 3, output_per_mtok: 15 } };
  beforeEach(() => {
    db = openDatabase(":memory:", BOT_MIGRATIONS);
    clock = { t: T0 };
    usage = new UsageStore(db, () => clock.t);
  });

  test("the table: today and 7 days, per device and in total, tokens and cost, ≤ 40 columns", async () => {
    clock.t = T0 - 3 * 86_400_000;
    usage.record("pc1", "claude-a", { inputTokens: 100_000, outputTokens: 10_000 });
    clock.t = T0 - 8 * 86_400_000; // outside the 7 days
    usage.record("pc1", "claude-a", { inputTokens: 9_000_000, outputTokens: 0 });
    clock.t = T0;
    usage.record("pc1", "claude-a", { inputTokens: 12_000, outputTokens: 345 });
    usage.record("long-device-name-1", "mystery-model", { inputTokens: 500, outputTokens: 500 });
    usage.record("pc2", "claude-a", undefined);
    const limits = { perDevice: 10_000, total: 1_000_000 };
    usage.addToday("pc2", 5000, OP);
    const lines = usageGrid({ store: usage, prices, limits });
    expect(lines).toEqual([
      "model use, UTC day 2026-12-02",
      "device      today    cost 7 days    cost",
      "long-device-name-1",
      "               1k       ?     1k       ?",
      "pc1         12.3k   $0.04 122.3k   $0.49",
      "pc2             0      $0      0      $0",
      "all         13.3k       ? 123.3k       ?",
      "daily limit: 10k a device, 1M in all",
      "⛔ pc1 12.3k/10k",
      "➕ pc2 0/15k (+5k)",
      "? cost unknown: no llm.prices for",
      "    mystery-model",
      "1 replies came without usage (not",
      "    counted)",
    ]);
    expect(lines.every((l) => l.length <= 40)).toBe(true);
    const reply = await runner(usageCommand({ store: usage, prices, limits }))({});
    expect(reply.body).toBe(lines.join("\n"));
    expect(reply.html).toBe(`<pre><code>${lines.join("\n")}</code></pre>`);
  });

  test("no use yet, no limits", () => {
    expect(usageGrid({ store: usage, prices: {}, limits: {} })).toEqual([
      "model use, UTC day 2026-12-02",
      "no model use in the last 7 days",
      "daily limit: none, none in all",
    ]);
  });

  test("!budget <device> +N and all +N add to today, audited with who; bad input changes nothing", async () => {
    const known = new Set(["pc1"]);
    const run = runner(
      budgetCommand({ store: usage, limits: { perDevice: 1000, total: 5000 }, known: (n) => known.has(n) }),
    );
    usage.record("pc1", "m", { inputTokens: 1200, outputTokens: 0 });
    for (const [positionals, sentence] of [
      [
        { target: "pc1", tokens: "500" },
        "refused: say how many tokens to add as +N, from +1 to +100,000,000 (not 500) — usage: !budget <device|all> +N",
      ],
      [
        { target: "pc1", tokens: "+0" },
        "refused: say how many tokens to add as +N, from +1 to +100,000,000 (not +0) — usage: !budget <device|all> +N",
      ],
      [
        { target: "pc1", tokens: "+1e6" },
        "refused: say how many tokens to add as +N, from +1 to +100,000,000 (not +1e6) — usage: !budget <device|all> +N",
      ],
      [
        { target: "pc1", tokens: "+100000001" },
        "refused: say how many tokens to add as +N, from +1 to +100,000,000 (not +100000001) — usage: !budget <device|all> +N",
      ],
      [
        { target: "pc9", tokens: "+5" },
        "refused: there is no device pc9 — !budget takes a device name or all",
      ],
    ] as const)
      expect((await run(positionals)).body).toBe(sentence);
    expect(db.prepare("SELECT COUNT(*) AS n FROM budget_additions").get()).toEqual({ n: 0 });
    expect((await run({ target: "pc1", tokens: "+500" })).body).toBe(
      "Added 500 tokens to pc1's budget for today (2026-12-02 UTC): 1,200 of 1,500 used.",
    );
    expect((await run({ target: "all", tokens: "+2000" })).body).toBe(
      "Added 2,000 tokens to the fleet's total budget for today (2026-12-02 UTC): 1,200 of 7,000 used.",
    );
    expect(
      db.prepare("SELECT day, device, tokens, added_by FROM budget_additions ORDER BY id").all(),
    ).toEqual([
      { day: "2026-12-02", device: "pc1", tokens: 500, added_by: OP },
      { day: "2026-12-02", device: null, tokens: 2000, added_by: OP },
    ]);
  });

  test("!budget with no limit configured says so and adds nothing", async () => {
    const run = runner(budgetCommand({ store: usage, limits: {}, known: () => true }));
    expect((await run({ target: "pc1", tokens: "+5" })).body).toBe(
      "refused: there is no per-device daily limit to raise (llm.daily_token_limit is not set)",
    );
    expect((await run({ target: "all", tokens: "+5" })).body).toBe(
      "refused: there is no total daily limit to raise (llm.daily_token_limit_total is not set)",
    );
    expect(db.prepare("SELECT COUNT(*) AS n FROM budget_additions").get()).toEqual({ n: 0 });
  });
});
