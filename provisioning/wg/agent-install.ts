import { createReadStream, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { UserError } from "../../common/errors";
import { shellQuote } from "../../ssh/quote";
import { SERVICE_NAME } from "./services/render";
import { mustRun, type Shell } from "./shell";

/** Where the agent lives on a device: all under the SSH user's home, nothing system-wide. */
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
  supervisor: string;
  unit: string;
  /** Every directory and file meshpilot creates, for undo. */
  owned: string[];
}

export function agentLayout(home: string): AgentLayout {
  const share = `${home}/.local/share/meshpilot`;
  const configDir = `${home}/.config/meshpilot`;
  const stateDir = `${home}/.local/state/meshpilot`;
  const unit = `${home}/.config/systemd/user/${SERVICE_NAME}.service`;
  return {
    binary: `${share}/device-agent`,
    configDir,
    config: `${configDir}/agent.yaml`,
    manifest: `${configDir}/manifest.yaml`,
    secret: `${configDir}/agent.secret`,
    stateDir,
    audit: `${stateDir}/audit.db`,
    log: `${stateDir}/agent.log`,
    pidfile: `${stateDir}/agent.pid`,
    supervisor: `${share}/supervise.sh`,
    unit,
    owned: [share, configDir, stateDir, unit],
  };
}

/** The executable for a target and its expected SHA-256, from npm run build:agent's output. */
export function localAgent(
  agentDir: string,
  target: string,
): { path: string; sha256: string; bytes: number } {
  const name = `device-agent-${target}${target.startsWith("windows") ? ".exe" : ""}`;
  const path = join(agentDir, name);
  let sums: string;
  try {
    sums = readFileSync(join(agentDir, "SHA256SUMS"), "utf8");
  } catch {
    throw new UserError(
      `the device agent is not built (no ${join(agentDir, "SHA256SUMS")}) — run npm run build:agent on the bot's host`,
    );
  }
  const line = sums.split("\n").find((l) => l.trim().endsWith(` ${name}`) || l.trim().endsWith(`*${name}`));
  if (!line)
    throw new UserError(
      `SHA256SUMS in ${agentDir} has no entry for ${name} — rebuild with npm run build:agent`,
    );
  return { path, sha256: line.split(/\s+/)[0]!, bytes: statSync(path).size };
}

/** Uploads the executable unless the same one is there; verifies its checksum on the target. */
export async function uploadAgent(
  shell: Shell,
  layout: AgentLayout,
  agent: { path: string; sha256: string; bytes: number },
): Promise<number> {
  const bin = shellQuote([layout.binary]);
  const current = await shell.run(`sha256sum ${bin} 2>/dev/null`);
  if (current.exitCode === 0 && current.stdout.startsWith(agent.sha256)) return 0;
  const tmp = shellQuote([`${layout.binary}.upload`]);
  await mustRun(
    shell,
    `mkdir -p "$(dirname ${bin})" && cat > ${tmp} && chmod 755 ${tmp}`,
    "uploading the device agent",
    {
      input: createReadStream(agent.path),
      timeoutMs: 600_000,
    },
  );
  const sum = await mustRun(shell, `sha256sum ${tmp}`, "checking the uploaded agent");
  if (!sum.startsWith(agent.sha256)) {
    await shell.run(`rm -f ${tmp}`);
    throw new UserError(
      `the agent uploaded to ${shell.where} does not match its checksum — the transfer was corrupted; run the command again`,
    );
  }
  await mustRun(shell, `mv ${tmp} ${bin}`, "installing the device agent");
  return agent.bytes;
}

export async function writePrivateFile(shell: Shell, path: string, text: string): Promise<void> {
  const file = shellQuote([path]);
  await mustRun(
    shell,
    `mkdir -p "$(dirname ${file})" && (umask 077 && cat > ${file}.tmp) && chmod 600 ${file}.tmp && mv ${file}.tmp ${file}`,
    `writing ${path}`,
    {
      input: text,
    },
  );
}

/**
 * A regex matching the supervisor and the agent of this layout, written so that it does
 * not match the shell running pkill/pgrep (whose command line holds the pattern itself).
 */
function processPattern(layout: AgentLayout): string {
  const dir = layout.binary.slice(0, layout.binary.lastIndexOf("/")).replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return `${dir}/([s]upervise\\.sh|[d]evice-agent)`;
}

/** Starts the agent: a systemd user unit with linger where systemd runs, else the supervisor loop. */
export async function startAgent(shell: Shell, layout: AgentLayout, init: "systemd" | "none"): Promise<void> {
  await stopAgent(shell, layout, init);
  if (init === "systemd") {
    await mustRun(
      shell,
      `(sudo -n loginctl enable-linger "$(id -un)" 2>/dev/null || loginctl enable-linger) && systemctl --user daemon-reload && systemctl --user enable ${SERVICE_NAME} && systemctl --user restart ${SERVICE_NAME}`,
      "starting the agent's service",
    );
    return;
  }
  const pid = shellQuote([layout.pidfile]);
  await mustRun(
    shell,
    // Only the supervisor goes to the background, with no fd left on the SSH channel:
    // a backgrounded list ("a && b &") would keep a shell holding the channel open.
    `mkdir -p ${shellQuote([layout.stateDir])} || exit 1; setsid sh ${shellQuote([layout.supervisor])} < /dev/null > /dev/null 2>&1 & echo $! > ${pid}`,
    "starting the agent",
  );
}

/** Stops the service or supervisor and every agent process of this layout. */
export async function stopAgent(shell: Shell, layout: AgentLayout, init: "systemd" | "none"): Promise<void> {
  const pid = shellQuote([layout.pidfile]);
  const systemd = init === "systemd" ? `systemctl --user disable --now ${SERVICE_NAME} 2>/dev/null; ` : "";
  await mustRun(
    shell,
    `${systemd}if [ -f ${pid} ]; then kill -- -"$(cat ${pid})" 2>/dev/null; rm -f ${pid}; fi; pkill -u "$(id -u)" -f ${shellQuote([processPattern(layout)])}; true`,
    "stopping the agent",
  );
}

export async function agentProcessRunning(shell: Shell, layout: AgentLayout): Promise<boolean> {
  return (
    (await shell.run(`pgrep -u "$(id -u)" -f ${shellQuote([processPattern(layout)])} >/dev/null`))
      .exitCode === 0
  );
}

export async function removeAgentFiles(shell: Shell, layout: AgentLayout): Promise<void> {
  await mustRun(shell, `rm -rf ${shellQuote(layout.owned)}`, "removing the agent's files");
}

export async function agentFilesPresent(shell: Shell, layout: AgentLayout): Promise<string[]> {
  const files = [layout.binary, layout.config, layout.manifest, layout.secret, layout.supervisor];
  const result = await shell.run(
    files.map((f) => `[ -e ${shellQuote([f])} ] || echo ${shellQuote([f])}`).join("; "),
  );
  return result.stdout.split("\n").filter(Boolean);
}

/** The agent's own config: it listens on the mesh IP only. */
export function agentConfigYaml(meshIp: string, port: number, files: AgentLayout): string {
  return [
    "# written by meshpilot",
    "listen:",
    `  address: ${meshIp}`,
    `  port: ${port}`,
    `secret_file: ${files.secret}`,
    `manifest: ${files.manifest}`,
    `audit_db: ${files.audit}`,
    "log_level: info",
    "",
  ].join("\n");
}
