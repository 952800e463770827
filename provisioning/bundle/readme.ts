import { basename } from "node:path";
import type { AgentLayout } from "../targets/types";

export interface ReadmeFacts {
  name: string;
  os: string;
  arch: string;
  user: string;
  layout: AgentLayout;
  tunnelConfigPath: string;
  meshIp: string;
  endpoint: string;
  expiresAt: number;
  uninstall: string;
  folder: string;
}

/** README.txt: what to run, what it changes, how to remove it — and that the folder is a secret. */
export function bundleReadme(r: ReadmeFacts): string {
  const conf = basename(r.tunnelConfigPath.replace(/\\/g, "/"));
  const until = new Date(r.expiresAt).toISOString().slice(0, 16).replace("T", " ");
  return `meshpilot bundle for ${r.name} (${r.os}/${r.arch})
${"=".repeat(28 + r.name.length + r.os.length + r.arch.length)}

KEEP THIS FOLDER SECRET. ${conf} holds this PC's WireGuard private key and
agent.secret the key the hub signs every agent call with. Copy it only to the PC,
delete every other copy once the PC is installed.

What to run (on the PC, as an account that may use sudo)
  tar -xzf <this archive> && cd ${r.folder} && sudo sh install.sh
The hub must see the PC's first WireGuard handshake by ${until} UTC; after that the
bundle is void (the hub removes its peer) and you need a new one. The PC needs no
route to the hub's enrollment listener: only UDP to ${r.endpoint}.

What it changes
  - WireGuard's tools, installed with the package manager if wg-quick is missing
  - ${r.tunnelConfigPath}: the tunnel, brought up now (mesh IP ${r.meshIp})
  - the device agent and its files, as ${r.user}, all under its home:
      ${r.layout.owned.join("\n      ")}
  - the agent kept running as ${r.user} (a systemd user unit with linger where systemd
    runs, a launchd agent on macOS, otherwise a supervisor loop)
The hub then finishes by itself over the mesh: it checks the agent, creates its
Matrix user and room and tells the operators that ${r.name} is live.

How to remove it
  sudo sh ${r.uninstall}
(the same script is uninstall.sh in this folder). It stops the agent, removes its
files and the tunnel. On the hub, an operator runs !revoke ${r.name}.

Files here
  install.sh     what sudo runs: the same commands meshpilot sends over SSH
  uninstall.sh   the removal above
  device-agent   the agent (install.sh checks its SHA-256 before using it)
  ${conf}, agent.secret, agent.yaml, manifest.yaml, and the service definition:
                 the files install.sh puts in place
`;
}
