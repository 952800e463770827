import { Rendezvous, type Hello } from "../../../../provisioning/pull/rendezvous";
import type { TargetFacts } from "../../../../provisioning/targets/types";

const facts = { os: "linux", arch: "amd64", user: "ana", home: "/home/ana" } as TargetFacts;
const hello = (publicKey = "K1"): Hello => ({ publicKey, machineId: "m", facts, address: "203.0.113.7" });
const soon = (): number => Date.now() + 5_000;

describe("the rendezvous between a waiting run and the enrollment listener", () => {
  test("a hello reaches the waiting run once; a second hello on the same link is not taken", async () => {
    const r = new Rendezvous();
    r.open("h");
    const waiting = r.waitHello("h", soon(), "expired");
    const answered = r.arrive("h", hello());
    expect(answered).toBeDefined();
    await expect(waiting).resolves.toMatchObject({ publicKey: "K1" });
    expect(r.arrive("h", hello("K2"))).toBeUndefined();
    // A run that asks again (a retry of its step) gets the hello that came, not a new wait.
    await expect(r.waitHello("h", soon(), "expired")).resolves.toMatchObject({ publicKey: "K1" });
    r.answer("h", { ok: true, script: "echo one" });
    r.answer("h", { ok: true, script: "echo two" });
    await expect(answered).resolves.toEqual({ ok: true, script: "echo one" });
  });

  test("nothing arrives at a link no run opened, or one that ended", () => {
    const r = new Rendezvous();
    expect(r.arrive("nobody", hello())).toBeUndefined();
    expect(r.isOpen("nobody")).toBe(false);
    r.open("h");
    expect(r.isOpen("h")).toBe(true);
    r.end("h", "cancelled");
    expect(r.isOpen("h")).toBe(false);
    expect(r.arrive("h", hello())).toBeUndefined();
    expect(() => r.waitHello("h", soon(), "expired")).toThrow("no longer open");
  });

  test("the wait fails with its sentence at the deadline", async () => {
    const r = new Rendezvous();
    r.open("h");
    await expect(r.waitHello("h", Date.now() + 20, "the link expired")).rejects.toThrow("the link expired");
  });

  test("end() fails every wait with the reason and tells a PC that is still waiting for its answer", async () => {
    const r = new Rendezvous();
    r.open("h");
    const waiting = r.waitHello("h", soon(), "expired");
    const answered = r.arrive("h", hello())!;
    await waiting;
    const done = r.waitDone("h", soon(), "expired");
    r.end("h", "an operator cancelled it");
    await expect(done).rejects.toThrow("an operator cancelled it");
    await expect(answered).resolves.toEqual({ ok: false, sentence: "an operator cancelled it" });
    r.end("h", "again"); // a second end changes nothing
  });

  test("the report and the agent download belong only between an ok answer and the report", async () => {
    const r = new Rendezvous();
    r.open("h");
    expect(r.report("h", { ok: true, detail: "early" })).toBe(false);
    const answered = r.arrive("h", hello())!;
    expect(r.agentBuild("h")).toBeUndefined();
    r.answer("h", { ok: true, script: "x" }, "linux-amd64");
    await answered;
    expect(r.agentBuild("h")).toBe("linux-amd64");
    const done = r.waitDone("h", soon(), "expired");
    expect(r.report("h", { ok: true, detail: "installed" })).toBe(true);
    expect(r.report("h", { ok: false, detail: "twice" })).toBe(false);
    await expect(done).resolves.toEqual({ ok: true, detail: "installed" });
    expect(r.agentBuild("h")).toBeUndefined();
    await expect(r.waitDone("h", soon(), "expired")).resolves.toEqual({ ok: true, detail: "installed" });
  });

  test("a refused PC gets no download and its report is not taken", async () => {
    const r = new Rendezvous();
    r.open("h");
    const answered = r.arrive("h", hello())!;
    r.answer("h", { ok: false, sentence: "wrong arch" }, "linux-amd64");
    await answered;
    expect(r.agentBuild("h")).toBeUndefined();
    expect(r.report("h", { ok: true, detail: "installed" })).toBe(false);
  });
});
