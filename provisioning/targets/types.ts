import type { Shell } from "../wg/shell";

export type TargetOs = "linux" | "darwin" | "windows";

/** What step 2 learns about the target, whatever its OS. */
export interface TargetFacts {
  /** lower-case: linux, darwin, windows, or what uname -s said for an OS with no adapter. */
  os: string;
  arch: string;
  osPretty: string;
  /** The login user's home, from the host's account database (root's is /root). */
  home: string;
  user: string;
  /** root on Unix, an elevated administrator on Windows. */
  isRoot: boolean;
  /** How the agent is kept running: systemd user unit, launchd agent, scheduled task, or a supervisor loop. */
  init: "systemd" | "launchd" | "schtasks" | "none";
  packageManager: "apt-get" | "dnf" | "pacman" | "apk" | "brew" | "winget" | "none";
  hasWgQuick: boolean;
  /** Can become root without a password (sudo -n); true for root itself. */
  canSudo: boolean;
  /** Windows: the account's SID, when the PC said it (a pull); push asks the session. */
  sid?: string;
}

/** Where the agent lives on a device: all under the login user's home, nothing system-wide. */
export interface AgentLayout {
  binary: string;
  configDir: string;
  config: string;
  manifest: string;
  secret: string;
  stateDir: string;
  audit: string;
  log: string;
  pidfile: string;
  /** The restart loop used where no service manager runs. */
  supervisor: string;
  /** The service definition (systemd unit, launchd plist, task XML). */
  unit: string;
  /** Every directory and file meshpilot creates, for undo and revoke. */
  owned: string[];
}

/** The executable for a target and its expected SHA-256 (npm run build:agent). */
export interface LocalAgent {
  path: string;
  sha256: string;
  bytes: number;
}

/**
 * Everything provisioning does on a device, for one OS. The wg steps call only this, so
 * a new OS is a new adapter, not a new pipeline. Every method is safe to repeat, and
 * every remove is safe to run on a device where the thing was never made.
 */
export interface TargetAdapter {
  readonly os: TargetOs;
  /**
   * Why this adapter cannot enroll a device with these facts over SSH — one sentence
   * saying what to do instead — or undefined when it can. Asked before anything on the
   * target is touched; with only `os`/`arch` known (an --os flag), before connecting.
   */
  refusal(facts: Partial<TargetFacts> & { os: string }, device: string): string | undefined;
  /** The account's home as the host's account database has it. */
  home(shell: Shell, user: string): Promise<string>;
  layout(home: string): AgentLayout;

  ensureWireguard(shell: Shell, facts: TargetFacts): Promise<"present" | "installed">;
  installTunnelConfig(shell: Shell, ifname: string, text: string): Promise<void>;
  tunnelUp(shell: Shell, ifname: string, userspace: string | undefined): Promise<void>;
  /** The tunnel down and its config gone. */
  removeTunnel(shell: Shell, ifname: string): Promise<void>;
  tunnelIsUp(shell: Shell, ifname: string): Promise<boolean>;
  tunnelConfigPresent(shell: Shell, ifname: string): Promise<boolean>;
  /** Where the tunnel's config lives on this OS, for messages. */
  tunnelConfigPath(ifname: string): string;

  /** Uploads the executable unless the same one is there; verifies it on the target. Returns bytes sent. */
  uploadAgent(shell: Shell, layout: AgentLayout, agent: LocalAgent): Promise<number>;
  /** Writes a file only the login user can read (0600 or the OS's equivalent). */
  writePrivateFile(shell: Shell, path: string, text: string): Promise<void>;
  /** Writes the service definition (and supervisor) for facts.init. */
  installService(shell: Shell, layout: AgentLayout, facts: TargetFacts): Promise<void>;
  startAgent(shell: Shell, layout: AgentLayout, facts: TargetFacts): Promise<void>;
  stopAgent(shell: Shell, layout: AgentLayout, facts: TargetFacts): Promise<void>;
  /** Removes every path in layout.owned. */
  removeAgentFiles(shell: Shell, layout: AgentLayout): Promise<void>;
  /** The agent's files that are missing (empty when all are there). */
  missingAgentFiles(shell: Shell, layout: AgentLayout): Promise<string[]>;
}
