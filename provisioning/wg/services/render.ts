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

/** A Windows Task Scheduler task (schtasks /Create /XML): at logon, restarted on failure. */
export function windowsTaskXml(paths: ServicePaths, user: string): string {
  const esc = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  return `<?xml version="1.0" encoding="UTF-16"?>
<Task version="1.4" xmlns="http://schemas.microsoft.com/windows/2004/02/mit/task">
  <RegistrationInfo><Description>meshpilot device agent</Description></RegistrationInfo>
  <Triggers><LogonTrigger><Enabled>true</Enabled><UserId>${esc(user)}</UserId></LogonTrigger></Triggers>
  <Principals><Principal id="Author"><UserId>${esc(user)}</UserId><LogonType>InteractiveToken</LogonType></Principal></Principals>
  <Settings>
    <MultipleInstancesPolicy>IgnoreNew</MultipleInstancesPolicy>
    <RestartOnFailure><Interval>PT1M</Interval><Count>999</Count></RestartOnFailure>
    <ExecutionTimeLimit>PT0S</ExecutionTimeLimit>
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
