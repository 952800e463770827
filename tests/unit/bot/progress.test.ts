import { ProgressMessage } from "../../../bot/progress";
import { RunChecklist, failureSentence } from "../../../bot/run-render";
import { wrapGrid } from "../../../bot/grid";
import { RecordingPort, memoryLogger } from "../support/fakes";

describe("the progress notice", () => {
  test("rapid updates are coalesced to the newest, and the final state is always sent", async () => {
    const port = new RecordingPort();
    const progress = new ProgressMessage(port, "!r", memoryLogger().log, 60_000);
    await progress.post({ body: "step 0" });
    for (let i = 1; i <= 5; i++) progress.update({ body: `step ${i}` });
    await progress.finish({ body: "done" });
    const bodies = port.sent.map(
      (s) => (s.content["m.new_content"] as { body?: string } | undefined)?.body ?? s.content.body,
    );
    expect(bodies).toEqual(["step 0", "done"]);
    expect(port.sent[1]!.content["m.relates_to"]).toEqual({ rel_type: "m.replace", event_id: "$sent1" });
  });

  test("an update after the interval goes out without waiting for the end", async () => {
    const port = new RecordingPort();
    const progress = new ProgressMessage(port, "!r", memoryLogger().log, 10);
    await progress.post({ body: "a" });
    progress.update({ body: "b" });
    await new Promise((r) => setTimeout(r, 50));
    expect(port.sent).toHaveLength(2);
    await progress.finish({ body: "c" });
    expect(port.sent).toHaveLength(3);
  });
});

describe("the run checklist", () => {
  test("shows each step reached with its mark, then what rollback undid", () => {
    const list = new RunChecklist("adding web1 (SSH-only)");
    list.apply({ index: 1, total: 3, step: "reserving the name", status: "running" });
    list.apply({ index: 1, total: 3, step: "reserving the name", status: "done" });
    list.apply({ index: 2, total: 3, step: "checking SSH reachability", status: "running" });
    list.apply({
      index: 2,
      total: 3,
      step: "checking SSH reachability",
      status: "failed",
      detail: "no route",
    });
    list.apply({ index: 1, total: 3, step: "reserving the name", status: "undone", detail: "name released" });
    expect(list.render("✗ failed").body).toBe(
      "adding web1 (SSH-only)\n[1/3] reserving the name… ✓\n[2/3] checking SSH reachability… ✗\n↩ name released\n✗ failed",
    );
  });

  test("the failure sentence names the step and what was rolled back", () => {
    expect(
      failureSentence(
        {
          runId: "r",
          ok: false,
          failed: { index: 5, step: "installing WireGuard", reason: "no package manager." },
          undone: ["peer removed", "files removed"],
          undoFailures: [],
          steps: [],
        },
        9,
      ),
    ).toBe(
      "✗ failed at [5/9] installing WireGuard: no package manager. Rolled back: peer removed, files removed.",
    );
  });
});

describe("grid wrapping", () => {
  test("no line is longer than 40 columns; continuations are indented", () => {
    const lines = wrapGrid([
      "#12 14:02:33 ssh_fs_read",
      "  → refused: /home/viewer/link (which is /root/secret) is outside paths_allowed",
    ]);
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(40);
    expect(lines[0]).toBe("#12 14:02:33 ssh_fs_read");
    expect(lines.slice(2).every((l) => l.startsWith("    "))).toBe(true);
    expect(lines.join(" ").replace(/\s+/g, " ")).toContain("is outside paths_allowed");
  });
});
