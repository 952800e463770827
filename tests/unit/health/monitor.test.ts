import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import pino from "pino";
import { AuditLog } from "../../../common/audit/log";
import { verifyRequest, NonceCache } from "../../../common/signing";
import { HealthMonitor, type MonitorDeps, type PeerStats } from "../../../health/monitor";
import { IncidentStore } from "../../../health/incidents";
import { HealthStore } from "../../../health/store";
import { AuditMirror } from "../../../capabilities/wg/audit-mirror";
import { DeviceAuditStore } from "../../../state/device-audit";
import { asSqlDatabase, openDatabase } from "../../../state/db";
import { DeviceStore } from "../../../state/devices";
import { BOT_MIGRATIONS } from "../../../state/migrations";
import { FakeRoom } from "./fake-room";

/** The monitor against a real signed HTTP agent stand-in with a real audit chain, and an in-memory hub view. */
describe("HealthMonitor", () => {
  const secret = "s".repeat(64);
  let server: Server;
  let url: string;
  const agentDb = openDatabase(":memory:", []);
  const audit = new AuditLog(asSqlDatabase(agentDb));
  let agentUp = true;
  /** The device's own /audit/verify admits a broken chain (at entry 2). */
  let admitsBroken = false;

  beforeAll(async () => {
    for (let i = 0; i < 3; i++) audit.recordCall({ capability: "fs.list", args: { path: "/" }, caller: "t" });
    const nonces = new NonceCache();
    server = createServer((req, res) => {
      const ok = verifyRequest(
        secret,
        { method: req.method ?? "", path: req.url ?? "", body: "" },
        req.headers,
        nonces,
      );
      if (!ok.ok || !agentUp) {
        res.writeHead(ok.ok ? 503 : 401).end();
        return;
      }
      const u = new URL(req.url ?? "/", "http://x");
      const entries = audit.entries(Number(u.searchParams.get("after")), Number(u.searchParams.get("limit")));
      // A device that answers /audit/verify with "ok" whatever its chain holds: the bot must not ask it.
      const body =
        u.pathname === "/health"
          ? {
              capabilities: 14,
              audit: audit.head(),
              version: "meshpilot-device-agent 0.1.0 linux-amd64",
              uptime_s: 9,
            }
          : u.pathname === "/audit/entries"
            ? { entries, next_after: null }
            : admitsBroken
              ? { ok: false, firstBrokenId: 2, reason: "entry 2 does not match its hash" }
              : { ok: true, count: audit.head().count, head: audit.head().hash };
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((r) => server.close(r)));

  /** Polls until the condition holds (5 s at most): timers, not a fixed sleep, on a busy machine. */
  async function until(condition: () => boolean): Promise<void> {
    const deadline = Date.now() + 5000;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error("timed out waiting");
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  function setup(over: Partial<MonitorDeps> = {}) {
    const db = openDatabase(":memory:", BOT_MIGRATIONS);
    const devices = new DeviceStore(db);
    devices.claim("pc1", "wg");
    devices.update("pc1", { status: "live", mesh_ip: "10.42.0.2" });
    const store = new HealthStore(db);
    const room = new FakeRoom();
    let now = 1_800_000_000_000;
    const peers = new Map<string, PeerStats>([["KEY", { handshake: now / 1000 - 10, rx: 100 }]]);
    const monitor = new HealthMonitor({
      devices,
      store,
      settings: {
        intervalMs: 1000,
        staleAfterS: 180,
        probe: { timeoutMs: 2000, retries: 1 },
        concurrency: 4,
        alerts: { flapWindowMs: 900_000, flapMaxAlerts: 4, silenceMs: 3_600_000 },
      },
      peerStats: () => Promise.resolve(peers),
      wgPublicKey: () => "KEY",
      agentUrl: () => url,
      agentSecret: () => secret,
      sshProbe: () => Promise.resolve(),
      sshAudit: () => ({ verify: () => ({ ok: true, count: 0, head: "" }), lastCallAt: () => null }),
      wgAudit: new AuditMirror({ store: new DeviceAuditStore(db) }),
      incidents: new IncidentStore(db),
      alerts: room,
      log: pino({ level: "silent" }),
      now: () => now,
      ...over,
    });
    /** The first line of everything sent, with how: push, edit or notice. */
    const sent = () => room.sent.map((m) => `${m.kind}: ${m.text.split("\n")[0]}`);
    return {
      monitor,
      store,
      devices,
      room,
      sent,
      peers,
      advance: (ms: number) => (now += ms),
      nowS: () => now / 1000,
    };
  }

  test("online, then stale when the handshake ages, then resolved; the grid data is stored", async () => {
    const t = setup();
    await t.monitor.sweep();
    expect(t.store.get("pc1")).toMatchObject({
      status: "online",
      capabilities: 14,
      audit_count: 3,
      agent_version: "meshpilot-device-agent 0.1.0 linux-amd64",
    });
    t.advance(200_000);
    t.peers.set("KEY", { handshake: t.nowS() - 200, rx: 300 });
    await t.monitor.sweep();
    await t.monitor.sweep();
    expect(t.store.get("pc1")).toMatchObject({ status: "stale", reason: "handshake 3 min ago" });
    t.advance(60_000);
    t.peers.set("KEY", { handshake: t.nowS() - 5, rx: 400 });
    await t.monitor.sweep();
    expect(t.sent()).toEqual([
      "push: [ALERT] device_id=pc1 status=stale (handshake 3 min ago) incident #1",
      "push: [RESOLVED] device_id=pc1 incident #1 online again (was down 1 min)",
    ]);
  });

  test("a device whose very first sweep finds it down is alerted at once, and the alert is recorded", async () => {
    const t = setup();
    agentUp = false;
    try {
      const [entry] = await t.monitor.sweep();
      expect(entry).toMatchObject({ name: "pc1", verdict: { status: "unreachable" } });
      expect(entry!.posted.map((m) => m.kind)).toEqual(["push"]);
    } finally {
      agentUp = true;
    }
    expect(t.sent()).toEqual([
      "push: [ALERT] device_id=pc1 status=unreachable (/health: HTTP 503) incident #1",
    ]);
    const now = t.advance(0);
    expect(t.store.get("pc1")).toMatchObject({ status: "unreachable", since: now, alerted_at: now });
  });

  test("no secret, or one others can read: unreachable with that reason, and no request is made", async () => {
    let asked = 0;
    const none = setup({
      agentSecret: () => {
        asked++;
        return undefined;
      },
    });
    const [first] = await none.monitor.sweep();
    expect(first!.verdict).toMatchObject({ status: "unreachable" });
    expect(none.store.get("pc1")).toMatchObject({
      detail: expect.stringContaining("the bot has no secret") as unknown,
    });
    const exposed = setup({
      agentSecret: () => {
        throw new Error("agent.secret is readable by others — run chmod 600 agent.secret");
      },
    });
    await exposed.monitor.sweep();
    expect(exposed.store.get("pc1")!.detail).toContain("is readable by others");
    expect(asked).toBe(1);
  });

  test("an agent port that refuses connections is unreachable after every try", async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const t = setup({ agentUrl: () => `http://127.0.0.1:${port}` });
    await t.monitor.sweep();
    // (Under jest, fetch's error comes from another realm, so its cause is not read here.)
    expect(t.store.get("pc1")).toMatchObject({
      status: "unreachable",
      detail: expect.stringMatching(/^\/health failed 2 time\(s\): /) as unknown,
    });
  });

  test("a hub that cannot be read makes WireGuard devices stale with that reason, not down", async () => {
    const t = setup({ peerStats: () => Promise.reject(new Error("wg show: permission denied")) });
    const [entry] = await t.monitor.sweep();
    expect(entry!.verdict).toEqual({
      status: "stale",
      reason: "hub unreadable",
      detail: "wg show: permission denied",
    });
  });

  test("a device being taken apart is not judged; forget() closes its incident with a notice", async () => {
    let busy = false;
    const t = setup({ busy: () => busy });
    agentUp = false;
    try {
      await t.monitor.sweep();
    } finally {
      agentUp = true;
    }
    busy = true;
    expect(await t.monitor.sweep()).toEqual([]);
    t.monitor.forget("pc1");
    await new Promise((r) => setImmediate(r));
    expect(t.sent()).toEqual([
      "push: [ALERT] device_id=pc1 status=unreachable (/health: HTTP 503) incident #1",
      "notice: [CLOSED] device_id=pc1 incident #1: the device was revoked (down 0 s)",
    ]);
  });

  test("start() sweeps at once and on every interval; stop() waits for the sweep in flight", async () => {
    let sweeps = 0;
    const devices = new DeviceStore(openDatabase(":memory:", BOT_MIGRATIONS));
    const t = setup({
      devices: {
        list: () => {
          sweeps++;
          return devices.list();
        },
      },
      settings: {
        intervalMs: 20,
        staleAfterS: 180,
        probe: { timeoutMs: 2000, retries: 1 },
        concurrency: 4,
        alerts: { flapWindowMs: 900_000, flapMaxAlerts: 4, silenceMs: 3_600_000 },
      },
      now: Date.now,
    });
    t.monitor.start();
    await until(() => sweeps >= 3 * 2); // each sweep lists the devices twice
    await t.monitor.stop();
    const after = sweeps;
    await new Promise((r) => setTimeout(r, 60));
    expect(sweeps).toBe(after);
  });

  test("a sweep that throws is logged and the next one still runs", async () => {
    let calls = 0;
    const errors: string[] = [];
    const t = setup({
      devices: {
        list: () => {
          calls++;
          throw new Error("database is locked");
        },
      },
      settings: {
        intervalMs: 10,
        staleAfterS: 180,
        probe: { timeoutMs: 2000, retries: 1 },
        concurrency: 4,
        alerts: { flapWindowMs: 900_000, flapMaxAlerts: 4, silenceMs: 3_600_000 },
      },
      log: pino({ level: "error" }, { write: (line: string) => void errors.push(line) }),
      now: Date.now,
    });
    t.monitor.start();
    await until(() => calls >= 2);
    await t.monitor.stop();
    expect(errors.join("")).toContain("health sweep failed");
  });

  test("the grid's record: since and alerted_at hold while the status does; handshake and audit head are stored", async () => {
    const t = setup();
    const first = t.advance(0);
    await t.monitor.sweep();
    t.advance(30_000);
    t.peers.set("KEY", { handshake: t.nowS() - 3, rx: 150 });
    await t.monitor.sweep();
    expect(t.store.get("pc1")).toMatchObject({
      status: "online",
      since: first,
      checked_at: first + 30_000,
      last_handshake: t.nowS() - 3,
      audit_count: 3,
      audit_hash: audit.head().hash,
      audit_broken_id: null,
      alerted_at: null,
      capabilities: 14,
    });
  });

  test("a device that admits its own chain is broken is corrupted, whatever the bot's copy says", async () => {
    const t = setup();
    admitsBroken = true;
    try {
      const [entry] = await t.monitor.sweep();
      expect(entry!.verdict.status).toBe("corrupted");
    } finally {
      admitsBroken = false;
    }
    expect(t.store.get("pc1")).toMatchObject({ status: "corrupted", audit_broken_id: 2 });
    // The next sweep cannot reach the agent: the broken chain it admitted still stands.
    agentUp = false;
    try {
      t.peers.set("KEY", { handshake: t.nowS() - 5, rx: 4444 });
      await t.monitor.sweep();
    } finally {
      agentUp = true;
    }
    expect(t.store.get("pc1")).toMatchObject({ status: "corrupted", audit_broken_id: 2 });
  });

  test("a revoked device is marked revoked once and never probed", async () => {
    let probes = 0;
    const t = setup({
      agentSecret: () => {
        probes++;
        return secret;
      },
    });
    t.devices.update("pc1", { status: "revoked" });
    expect(await t.monitor.sweep()).toEqual([]);
    expect(await t.monitor.sweep()).toEqual([]);
    expect(t.store.get("pc1")).toMatchObject({ status: "revoked", reason: "revoked" });
    expect(probes).toBe(0);
    expect(t.sent()).toEqual([]);
  });

  test("an SSH-only device: probed over SSH, its bot-side audit checked, no hub needed", async () => {
    let sshUp = false;
    let broken = false;
    const t = setup({
      peerStats: () => Promise.reject(new Error("no hub for SSH devices")),
      sshProbe: () => (sshUp ? Promise.resolve() : Promise.reject(new Error("ssh: timeout"))),
      sshAudit: () => ({
        verify: () =>
          broken
            ? { ok: false, count: 4, firstBrokenId: 3, reason: "entry 3 does not match its hash" }
            : { ok: true, count: 4, head: "h4" },
        lastCallAt: () => 1234,
      }),
    });
    t.devices.update("pc1", { backend: "ssh", ssh_user: "viewer", ssh_host: "10.0.0.5" });
    const [down] = await t.monitor.sweep();
    expect(down!.verdict).toMatchObject({ status: "unreachable" });
    expect(t.store.get("pc1")).toMatchObject({
      audit_count: 4,
      audit_hash: "h4",
      last_call_at: 1234,
      capabilities: 3,
    });
    sshUp = true;
    expect((await t.monitor.sweep())[0]!.verdict.status).toBe("online");
    broken = true;
    expect((await t.monitor.sweep())[0]!.verdict.status).toBe("corrupted");
    expect(t.store.get("pc1")).toMatchObject({ audit_broken_id: 3, audit_count: 4, audit_hash: "h4" });
  });

  test("an agent that stops answering through a live tunnel is unreachable", async () => {
    const t = setup();
    await t.monitor.sweep();
    agentUp = false;
    t.peers.set("KEY", { handshake: t.nowS() - 5, rx: 999 });
    await t.monitor.sweep();
    agentUp = true;
    expect(t.sent()).toEqual([
      "push: [ALERT] device_id=pc1 status=unreachable (/health: HTTP 503) incident #1",
    ]);
  });

  test("a chain cut below the remembered head is corrupted, naming the first missing id", async () => {
    const t = setup();
    await t.monitor.sweep();
    agentDb.prepare("DELETE FROM audit WHERE id = 3").run();
    t.peers.set("KEY", { handshake: t.nowS() - 5, rx: 1234 });
    await t.monitor.sweep();
    expect(t.sent()).toEqual([
      "push: [ALERT] device_id=pc1 status=hash_chain_corrupted (id=3 broken) incident #1",
    ]);
    audit.recordCall({ capability: "fs.list", args: { path: "/" }, caller: "t" }); // id 3 again, another hash
  });

  test("a device that says its chain verifies is still corrupted when the bot's copy disagrees", async () => {
    const t = setup();
    await t.monitor.sweep();
    expect(t.store.get("pc1")).toMatchObject({ status: "online", audit_count: 3 });
    // Written on the PC, not sent by the bot; the device's own /audit/verify still says ok.
    audit.recordCall({ capability: "shell.exec", args: { argv: ["id"] }, caller: "@op:example.org" });
    t.peers.set("KEY", { handshake: t.nowS() - 5, rx: 4321 });
    await t.monitor.sweep();
    expect(t.store.get("pc1")).toMatchObject({
      status: "corrupted",
      audit_broken_id: 4,
      detail: "audit chain broken at id 4: entry 4 was not sent by the bot (capability shell.exec)",
    });
    expect(t.sent()).toEqual([
      "push: [ALERT] device_id=pc1 status=hash_chain_corrupted (id=4 broken) incident #1",
    ]);
  });

  test("the measured 170 s outage (unreachable, tunnel silent → stale, online): one push, an edit, one [RESOLVED]", async () => {
    const t = setup();
    await t.monitor.sweep();
    agentUp = false;
    t.peers.set("KEY", { handshake: t.nowS() - 5, rx: 5000 });
    await t.monitor.sweep();
    t.advance(5_000);
    await t.monitor.sweep(); // nothing came through the tunnel since: stale
    for (let i = 0; i < 10; i++) {
      t.advance(15_000);
      await t.monitor.sweep();
    }
    agentUp = true;
    t.advance(15_000);
    t.peers.set("KEY", { handshake: t.nowS() - 5, rx: 6000 });
    await t.monitor.sweep();
    expect(t.sent()).toEqual([
      "push: [ALERT] device_id=pc1 status=unreachable (/health: HTTP 503) incident #1",
      "edit: [ALERT] device_id=pc1 status=stale (handshake 10 s ago, tunnel silent) incident #1",
      "push: [RESOLVED] device_id=pc1 incident #1 online again (was down 2 min 50 s)",
    ]);
    expect(t.room.sent[2]!.replyTo).toBe(t.room.sent[0]!.eventId);
  });

  test("a device revoked while down: its incident is closed with a notice, not a push", async () => {
    const t = setup();
    await t.monitor.sweep();
    agentUp = false;
    t.peers.set("KEY", { handshake: t.nowS() - 5, rx: 7000 });
    await t.monitor.sweep();
    agentUp = true;
    t.devices.update("pc1", { status: "revoked" });
    t.advance(60_000);
    await t.monitor.sweep();
    expect(t.sent()).toEqual([
      "push: [ALERT] device_id=pc1 status=unreachable (/health: HTTP 503) incident #1",
      "notice: [CLOSED] device_id=pc1 incident #1: the device was revoked (down 1 min)",
    ]);
  });
});
