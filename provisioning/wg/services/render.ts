import { shellQuote } from "../../../ssh/quote";

/**
 * Service definitions for the device agent, one per OS. The pipeline installs the one
 * the target can use; all are rendered and checked in tests (systemd-analyze verify).
 */
export interface ServicePaths {
  binary: string;
  config: string;
  log: string;
}

export const SERVICE_NAME = "meshpilot-agent";

/** A systemd user unit (enabled with linger, so it runs without a login session). */
export function systemdUserUnit(paths: ServicePaths): string {
  return `[Unit]
Description=meshpilot device agent
Documentation=https://github.com/meshpilot/meshpilot
After=network-online.target

[Service]
Type=simple
ExecStart=${systemdQuote(paths.binary)} --config ${systemdQuote(paths.config)}
Restart=always
RestartSec=2
NoNewPrivileges=true

[Install]
WantedBy=default.target
`;
}

/** A launchd agent for macOS (~/Library/LaunchAgents). */
export function launchdPlist(paths: ServicePaths): string {
  const esc = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  return `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
  <key>Label</key><string>org.meshpilot.agent</string>
  <key>ProgramArguments</key>
  <array>
    <string>${esc(paths.binary)}</string>
    <string>--config</string>
    <string>${esc(paths.config)}</string>
  </array>
  <key>RunAtLoad</key><true/>
  <key>KeepAlive</key><true/>
  <key>StandardOutPath</key><string>${esc(paths.log)}</string>
  <key>StandardErrorPath</key><string>${esc(paths.log)}</string>
</dict>
</plist>
`;
}

/**
 * A Windows Task Scheduler task (schtasks /Create /XML) that keeps the agent running as
 * `account` (a SID, or DOMAIN\name) whether or not anyone is logged on (S4U: no stored
 * password, no network credentials — the agent needs neither). Started at boot, and every
 * minute from registration on: with IgnoreNew that is a no-op while the agent runs and a
 * restart within a minute when it has exited (RestartOnFailure is documented for a task
 * that fails, not for a program that exits, so it is not relied on). On battery the
 * defaults would neither start it nor keep it running.
 */
export function windowsTaskXml(paths: ServicePaths, account: string): string {
  const esc = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  return `<?xml version="1.0" encoding="UTF-16"?>
<Task version="1.2" xmlns="http://schemas.microsoft.com/windows/2004/02/mit/task">
  <RegistrationInfo><Description>meshpilot device agent</Description></RegistrationInfo>
  <Triggers>
    <BootTrigger><Enabled>true</Enabled></BootTrigger>
    <TimeTrigger>
      <Repetition><Interval>PT1M</Interval><StopAtDurationEnd>false</StopAtDurationEnd></Repetition>
      <StartBoundary>2000-01-01T00:00:00</StartBoundary>
      <Enabled>true</Enabled>
    </TimeTrigger>
  </Triggers>
  <Principals><Principal id="Author"><UserId>${esc(account)}</UserId><LogonType>S4U</LogonType><RunLevel>LeastPrivilege</RunLevel></Principal></Principals>
  <Settings>
    <MultipleInstancesPolicy>IgnoreNew</MultipleInstancesPolicy>
    <DisallowStartIfOnBatteries>false</DisallowStartIfOnBatteries>
    <StopIfGoingOnBatteries>false</StopIfGoingOnBatteries>
    <StartWhenAvailable>true</StartWhenAvailable>
    <ExecutionTimeLimit>PT0S</ExecutionTimeLimit>
    <RestartOnFailure><Interval>PT1M</Interval><Count>999</Count></RestartOnFailure>
  </Settings>
  <Actions Context="Author"><Exec><Command>${esc(paths.binary)}</Command><Arguments>--config "${esc(paths.config)}"</Arguments></Exec></Actions>
</Task>
`;
}

/** Where no init system runs (containers, the lab's namespaces): a shell loop that restarts the agent. */
export function supervisorScript(paths: ServicePaths): string {
  return `#!/bin/sh
# meshpilot device agent supervisor: restarts the agent if it exits.
while :; do
  ${shellQuote([paths.binary])} --config ${shellQuote([paths.config])} >> ${shellQuote([paths.log])} 2>&1
  sleep 2
done
`;
}

/** A systemd command-line word: double-quoted, with %, $, backslash and " escaped so nothing is expanded. */
export function systemdQuote(word: string): string {
  return `"${word.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/%/g, "%%").replace(/\$/g, "$$$$")}"`;
}
