import { UserError } from "../../../../common/errors";
import type { Connector } from "../../../../provisioning/ssh-session";
import { HostKeyChangedError } from "../../../../ssh/connect";
import { formatSshTarget } from "../../../../ssh/target";
import { FakeHub } from "./hub";
import { FakeMachine, type MachineShell, type MachineSpec } from "./machine";

/**
 * The machines the bot can reach, the hub, and the mesh between them. SSH (`connect`)
 * reaches a machine by its host name with its host key, refusing a key other than the
 * pinned one as ssh/connect.ts does; `agentHealthy` is the signed /health over the mesh:
 * it gets an answer only through the hub's peer for that IP, from a machine whose tunnel
 * has that IP and a handshake, and whose running agent listens there with that secret.
 */
export class Network {
  readonly machines = new Map<string, FakeMachine>();
  readonly hub = new FakeHub(() => this.machines.values());
  readonly sessions: MachineShell[] = [];
  /** Every SSH connection tried, answered or not. */
  attempts = 0;

  add(spec: MachineSpec): FakeMachine {
    const machine = new FakeMachine(spec);
    this.machines.set(spec.host, machine);
    return machine;
  }

  readonly connect: Connector = (target, _keyFile, expected) => {
    this.attempts++;
    const where = formatSshTarget(target);
    const machine = this.machines.get(target.host);
    if (!machine?.reachable)
      return Promise.reject(
        new UserError(
          `cannot reach ${where} (ECONNREFUSED) — check the address, the port and that sshd is running`,
        ),
      );
    if (target.user !== machine.user)
      return Promise.reject(new UserError(`${where} refused the bot's SSH key for ${target.user}`));
    if (expected && expected !== machine.hostKey)
      return Promise.reject(new HostKeyChangedError(target, expected, machine.hostKey));
    const shell = machine.shell(where);
    this.sessions.push(shell);
    return Promise.resolve({ shell, fingerprint: machine.hostKey });
  };

  readonly agentHealthy = async (meshIp: string, secret: string): Promise<boolean> => {
    const key = this.hub.peerFor(meshIp);
    const machine = [...this.machines.values()].find((m) => key && m.tunnel?.conf.publicKey === key);
    if (!key || !machine?.tunnel || machine.tunnel.conf.address !== meshIp) return false;
    if (!((await this.hub.handshakes()).get(key) ?? 0)) return false;
    return machine.agent?.listen === meshIp && machine.agent.secret === secret;
  };

  /** SSH sessions opened and not closed: a run that forgot to release its connection. */
  openSessions(): string[] {
    return this.sessions.filter((s) => !s.closed).map((s) => s.where);
  }
}
