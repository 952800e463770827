import { chmodSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { AuditMirror } from "../../../capabilities/wg/audit-mirror";
import { parseConfig } from "../../../config/load";
import {
  buildHealthMonitor,
  monitorDeps,
  monitorSettings,
  type HealthFactoryDeps,
} from "../../../health/factory";
import { IncidentStore } from "../../../health/incidents";
import type { PeerStats } from "../../../health/monitor";
import { HealthStore } from "../../../health/store";
import type { ExecOptions, ExecResult } from "../../../ssh/exec";
import type { SshTarget } from "../../../ssh/target";
import { agentSecretPath, saveAgentSecret } from "../../../state/agent-secret";
import { openDatabase } from "../../../state/db";
import { DeviceAuditStore } from "../../../state/device-audit";
import { DeviceStore, type Device } from "../../../state/devices";
import { BOT_MIGRATIONS } from "../../../state/migrations";
import { MINIMAL_CONFIG } from "../support/config-text";
import { FakeRoom } from "./fake-room";

const MESH = `mesh:
  subnet: 10.42.0.0/24
  hub_address: 10.42.0.1
  endpoint: 192.0.2.1:51820
  hub_config_file: /etc/wireguard/mesh0.conf
`;

function config(extra = "", stateDir = "/nonexistent/state") {
  const { config } = parseConfig(`${MINIMAL_CONFIG}${extra}`, "/etc/meshpilot/meshpilot.yaml");
  return { ...config, state_dir: stateDir };
}

describe("monitorSettings: the health block in the monitor's units", () => {
  test("seconds become milliseconds where the monitor counts in them, the rest is passed as it is", () => {
    const settings = monitorSettings(
      config(
        "health: { interval_s: 30, stale_after_s: 200, probe_timeout_s: 4, probe_retries: 1, concurrency: 8," +
          " flap_window_s: 600, flap_max_alerts: 3, silence_s: 120, remind_after_s: 1800 }\n",
      ).health,
    );
    expect(settings).toEqual({
      intervalMs: 30_000,
      staleAfterS: 200,
      probe: { timeoutMs: 4000, retries: 1 },
      concurrency: 8,
      alerts: { flapWindowMs: 600_000, flapMaxAlerts: 3, silenceMs: 120_000, remindAfterMs: 1_800_000 },
    });
  });

  test("without remind_after_s there is no reminder at all, not a reminder at 0 ms", () => {
    const settings = monitorSettings(config().health);
    expect(settings.alerts).not.toHaveProperty("remindAfterMs");
  });

  test("without a health block the schema's defaults are used, converted the same way", () => {
    const defaults = config().health;
    const settings = monitorSettings(defaults);
    expect(settings.intervalMs).toBe(defaults.interval_s * 1000);
    expect(settings.probe.timeoutMs).toBe(defaults.probe_timeout_s * 1000);
    expect(settings.alerts.silenceMs).toBe(defaults.silence_s * 1000);
  });
});

/** The narrow parts, as recording fakes over a real in-memory database. */
function parts(overrides: Partial<HealthFactoryDeps> = {}) {
  const db = openDatabase(":memory:", BOT_MIGRATIONS);
  const devices = new DeviceStore(db);
  const execs: Array<{ target: SshTarget; command: string; options: ExecOptions }> = [];
  let answer: Partial<ExecResult> = { exitCode: 0 };
  const deps: HealthFactoryDeps = {
    devices,
    health: new HealthStore(db),
    incidents: new IncidentStore(db),
    alerts: new FakeRoom(),
    hub: undefined,
    wgPublicKey: (name) => `KEY-${name}`,
    ssh: {
      exec: (target, command, options) => {
        execs.push({ target, command, options });
        return Promise.resolve({
          exitCode: 0,
          signal: null,
          stdout: "",
          stderr: "",
          bytes: 0,
          truncated: false,
          timedOut: false,
          ...answer,
        });
      },
    },
    sshAudit: {
      audit: (name) => ({
        verify: () => ({ ok: true, count: 0, head: "" }),
        recentCalls: () => (name === "busy-pc" ? [{ ts: 1234 }] : []),
      }),
    },
    wgAudit: new AuditMirror({ store: new DeviceAuditStore(db) }),
    busy: (name) => name === "busy-pc",
    log: pino({ level: "silent" }),
    ...overrides,
  };
  return { db, devices, deps, execs, answer: (a: Partial<ExecResult>) => (answer = a) };
}

function row(devices: DeviceStore, name: string, changes: Partial<Device>): Device {
  devices.claim(name, changes.backend ?? "wg");
  devices.update(name, { status: "live", ...changes });
  return devices.get(name)!;
}

describe("monitorDeps: the wiring the bot used to write as closures", () => {
  test("the agent URL is the device's mesh IP at mesh.agent_port", () => {
    const p = parts();
    const pc = row(p.devices, "pc1", { mesh_ip: "10.42.0.7" });
    expect(monitorDeps(config(`${MESH}  agent_port: 7801\n`), p.deps).agentUrl(pc)).toBe(
      "http://10.42.0.7:7801",
    );
  });

  test("without a mesh block the port is the one a mesh block would default to", () => {
    const p = parts();
    const pc = row(p.devices, "pc1", { mesh_ip: "10.42.0.7" });
    const port = config(MESH).mesh!.agent_port;
    expect(monitorDeps(config(), p.deps).agentUrl(pc)).toBe(`http://10.42.0.7:${port}`);
  });

  test("the SSH probe runs `true` at the device's target within the probe timeout; a failure says why", async () => {
    const p = parts();
    const deps = monitorDeps(config("health: { probe_timeout_s: 4 }\n"), p.deps);
    const box = row(p.devices, "box", {
      backend: "ssh",
      ssh_user: "ops",
      ssh_host: "box.lan",
      ssh_port: null,
    });
    await deps.sshProbe(box);
    expect(p.execs).toEqual([
      {
        target: { user: "ops", host: "box.lan", port: 22 },
        command: "true",
        options: { timeoutMs: 4000, maxBytes: 1024 },
      },
    ]);
    p.answer({ exitCode: 255 });
    await expect(deps.sshProbe(box)).rejects.toThrow("exit 255");
    p.answer({ exitCode: null, timedOut: true });
    await expect(deps.sshProbe(box)).rejects.toThrow("no answer in time");
  });

  test("the SSH audit's last call is its newest entry's time, or none", () => {
    const deps = monitorDeps(config(), parts().deps);
    expect(deps.sshAudit("busy-pc").lastCallAt()).toBe(1234);
    expect(deps.sshAudit("quiet").lastCallAt()).toBeNull();
  });

  test("the agent secret is read from the state directory; a missing one is none", () => {
    const stateDir = mkdtempSync(join(tmpdir(), "factory-"));
    saveAgentSecret(stateDir, "pc1", "s".repeat(64));
    const deps = monitorDeps(config("", stateDir), parts().deps);
    expect(deps.agentSecret("pc1")).toBe("s".repeat(64));
    expect(deps.agentSecret("pc2")).toBeUndefined();
  });

  test("no hub, no peer stats; a hub's are passed through, as are busy and the public key", async () => {
    expect(monitorDeps(config(), parts().deps).peerStats).toBeUndefined();
    const peers = new Map<string, PeerStats>([["KEY-pc1", { handshake: 1, rx: 2 }]]);
    const deps = monitorDeps(config(MESH), parts({ hub: { peerStats: () => Promise.resolve(peers) } }).deps);
    await expect(deps.peerStats!()).resolves.toBe(peers);
    expect(deps.busy!("busy-pc")).toBe(true);
    expect(deps.busy!("pc1")).toBe(false);
    expect(deps.wgPublicKey("pc1")).toBe("KEY-pc1");
  });
});

describe("buildHealthMonitor", () => {
  test("a secret file others can read makes that device unreachable with the fix, and the sweep goes on", async () => {
    const stateDir = mkdtempSync(join(tmpdir(), "factory-"));
    saveAgentSecret(stateDir, "pc1", "s".repeat(64));
    chmodSync(agentSecretPath(stateDir, "pc1"), 0o644);
    const now = Math.floor(Date.now() / 1000);
    const peers = new Map<string, PeerStats>([["KEY-pc1", { handshake: now - 5, rx: 1 }]]);
    const p = parts({ hub: { peerStats: () => Promise.resolve(peers) } });
    row(p.devices, "pc1", { mesh_ip: "10.42.0.7" });
    row(p.devices, "box", { backend: "ssh", ssh_user: "ops", ssh_host: "box.lan", ssh_port: 2222 });
    const monitor = buildHealthMonitor(config(MESH, stateDir), p.deps);
    const entries = await monitor.sweep();
    expect(entries.map((e) => [e.name, e.verdict.status, e.verdict.reason])).toEqual([
      ["box", "online", "ok"],
      ["pc1", "unreachable", expect.stringMatching(/agent\.secret is readable by others — run chmod 600/)],
    ]);
  });
});
