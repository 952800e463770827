import { UserError } from "../../common/errors";
import type { Logger } from "../../common/log";
import type { MeshConfig } from "../../config/schema";
import type { HostKeyStore } from "../../ssh/host-keys";
import type { DeviceStore } from "../../state/devices";
import type { MatrixProvisioner } from "../ports";
import type { WgAddData } from "../run-data";
import { openPinned, type ClosableShell, type Connector } from "../ssh-session";
import { adapterFor } from "../targets";
import type { AgentLayout, LocalAgent, TargetAdapter } from "../targets/types";
import type { HubPort } from "./hub";
import type { generateKeyPair, generatePresharedKey } from "./keys";
import type { Shell } from "./shell";

/** What the WireGuard steps need from the bot; small enough that tests hand in fakes. */
export interface WgDeps {
  mesh: Readonly<MeshConfig>;
  /** The bot's state_dir (agent secrets live under it). */
  stateDir: string;
  devices: DeviceStore;
  hostKeys: HostKeyStore;
  matrix: MatrixProvisioner;
  hub: HubPort;
  connect: Connector;
  /** A signed GET /health to the agent over the mesh; true when it answers 200. */
  agentHealthy: (meshIp: string, secret: string) => Promise<boolean>;
  /** The agent executable for a build ("linux-amd64"), from npm run build:agent's output. */
  localAgent: (build: string) => LocalAgent;
  log: Logger;
}

/**
 * One run's working state: the SSH shell (opened once, on first use), the OS adapter, and
 * the private keys, which live only here — from step 3 until the config is on the device.
 */
export class WgRun {
  secrets: {
    keys?: ReturnType<typeof generateKeyPair>;
    psk?: ReturnType<typeof generatePresharedKey>;
  } = {};
  private session: Promise<ClosableShell> | undefined;

  constructor(readonly deps: WgDeps) {}

  /** Step 2's connection: pins a host seen for the first time (recorded in data first). */
  connect(data: WgAddData, save: () => void): Promise<Shell> {
    this.session ??= openPinned(this.deps.connect, this.deps.hostKeys, data.target, data.keyFile, {
      mode: "first-use",
      beforePin: (id) => {
        data.pinnedByRun = id;
        save();
      },
    });
    return this.session;
  }

  /**
   * The shell for every later step, repair and revoke: the host must be pinned. A failed
   * connection is remembered, so an unreachable device costs one timeout per run, not one per step.
   */
  shell(data: WgAddData): Promise<Shell> {
    this.session ??= openPinned(this.deps.connect, this.deps.hostKeys, data.target, data.keyFile, {
      mode: "required",
    });
    return this.session;
  }

  adapter(data: WgAddData): TargetAdapter {
    const os = data.facts?.os ?? "";
    const adapter = adapterFor(os);
    if (!adapter) throw new UserError(`meshpilot has no target adapter for "${os}"`);
    return adapter;
  }

  layout(data: WgAddData): AgentLayout {
    return this.adapter(data).layout(data.facts!.home);
  }

  dispose(): void {
    const session = this.session;
    this.session = undefined;
    void session?.then(
      (s) => s.close(),
      () => undefined,
    );
  }
}
