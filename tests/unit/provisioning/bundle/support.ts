import { execFileSync } from "node:child_process";
import { createPrivateKey, createPublicKey } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseConfig } from "../../../../config/load";
import type { MeshConfig } from "../../../../config/schema";
import type { BundleData } from "../../../../provisioning/bundle/data";
import { bundleFacts } from "../../../../provisioning/bundle/facts";
import { addBundlePipeline, type FinishDeps } from "../../../../provisioning/bundle/pipeline";
import { Engine, type Fault, type RunOutcome } from "../../../../provisioning/engine";
import { Journal } from "../../../../provisioning/journal";
import { EnrollmentStore } from "../../../../provisioning/pull/tokens";
import { localAgent } from "../../../../provisioning/wg/agent-install";
import { openDatabase, type Db } from "../../../../state/db";
import { DeviceStore } from "../../../../state/devices";
import { BOT_MIGRATIONS } from "../../../../state/migrations";
import { memoryLogger } from "../../support/fakes";
import { MINIMAL_CONFIG } from "../../support/config-text";
import { FakeHub } from "../support/hub";
import { FakeMatrix } from "../support/matrix";
import { sha256 } from "../support/tunnel-conf";

const dirs: string[] = [];

export function disposeBundleWorlds(): void {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** The hub's side of bundles over a real SQLite and state dir, with the hub and homeserver faked. */
export class BundleWorld {
  readonly dir = mkdtempSync(join(tmpdir(), "mp-bundle-"));
  readonly stateDir = join(this.dir, "state");
  readonly agentDir = join(this.dir, "agent");
  readonly db: Db = openDatabase(":memory:", BOT_MIGRATIONS);
  readonly devices = new DeviceStore(this.db);
  readonly journal = new Journal(this.db);
  readonly enrollments = new EnrollmentStore(this.db);
  readonly hub = new FakeHub(() => []);
  readonly matrix: FakeMatrix;
  readonly mesh: Readonly<MeshConfig>;
  readonly log = memoryLogger("warn").log;
  /** Public keys the fake hub reports a handshake for. */
  readonly shaken = new Set<string>();
  healthy = true;

  constructor() {
    dirs.push(this.dir);
    mkdirSync(this.stateDir);
    mkdirSync(this.agentDir);
    const sums = ["linux-amd64", "linux-arm64", "darwin-arm64"].map((build) => {
      const bytes = Buffer.from(`#!/bin/sh\n# device agent ${build}\n${"x".repeat(700)}\n`);
      writeFileSync(join(this.agentDir, `device-agent-${build}`), bytes, { mode: 0o755 });
      return `${sha256(bytes)}  device-agent-${build}\n`;
    });
    writeFileSync(join(this.agentDir, "SHA256SUMS"), sums.join(""));
    const { config } = parseConfig(`${MINIMAL_CONFIG}
mesh:
  subnet: 10.77.0.0/24
  hub_address: 10.77.0.1
  endpoint: hub.example.org:51820
  hub_config_file: /etc/wireguard/mesh0.conf
  agent_dir: ${JSON.stringify(this.agentDir)}
  ready_timeout_s: 5
`);
    this.mesh = config.mesh!;
    this.matrix = new FakeMatrix(config.operators);
    const handshakes = this.hub.handshakes.bind(this.hub);
    this.hub.handshakes = async () => {
      const map = await handshakes();
      for (const key of this.shaken) if (map.has(key)) map.set(key, Math.floor(Date.now() / 1000));
      return map;
    };
  }

  deps(): FinishDeps {
    return {
      mesh: this.mesh,
      stateDir: this.stateDir,
      devices: this.devices,
      hub: this.hub,
      enrollments: this.enrollments,
      localAgent: (build) => localAgent(this.agentDir, build),
      matrix: this.matrix,
      agentHealthy: () => Promise.resolve(this.healthy),
    };
  }

  engine(faults: Fault[] = []): Engine {
    return new Engine(this.journal, this.log, faults);
  }

  data(name: string, os = "linux", arch = "amd64", user = "ana"): BundleData {
    return {
      name,
      bundled: true,
      by: "cli:root",
      os,
      arch,
      facts: bundleFacts({ os, arch, user }),
      out: join(this.dir, `${name}.tar.gz`),
      expiresAt: Date.now() + 3_600_000,
    };
  }

  async bundle(name: string, options: { faults?: Fault[]; os?: string; arch?: string; out?: string } = {}) {
    const data = this.data(name, options.os, options.arch);
    if (options.out) data.out = join(this.dir, options.out);
    const outcome: RunOutcome = await this.engine(options.faults).run(
      addBundlePipeline(this.deps()),
      name,
      data,
      () => undefined,
    );
    return { outcome, data };
  }

  /** Unpacks an archive into a new folder with tar, keeping modes; returns the folder. */
  unpack(archive: string): string {
    const into = mkdtempSync(join(this.dir, "unpacked-"));
    execFileSync("tar", ["-xzpf", archive, "-C", into]);
    return into;
  }
}

/** The public half of a WireGuard private key. */
export function publicKeyOf(privateKey: string): string {
  const der = Buffer.concat([
    Buffer.from("302e020100300506032b656e04220420", "hex"),
    Buffer.from(privateKey, "base64"),
  ]);
  const jwk = createPublicKey(createPrivateKey({ key: der, format: "der", type: "pkcs8" })).export({
    format: "jwk",
  });
  return Buffer.from(jwk.x!, "base64url").toString("base64");
}
