import { UserError, errorMessage } from "../../common/errors";
import type { Logger } from "../../common/log";
import { agentRequest } from "./agent-http";
import { manifestSchema, type Manifest } from "../../device-agent/manifest/schema";
import { agentSecretPath, readAgentSecret } from "../../state/agent-secret";
import type { Device } from "../../state/devices";
import type { Tool } from "../types";
import type { AuditMirror } from "./audit-mirror";
import { policyFlavor } from "../registry";
import { wgTools } from "./provider";
import { callReplySchema, outgoingCallSchema, parseWire, type AgentTransport } from "./wire";

export interface WgDevicesOptions {
  /** The bot's state_dir: each device's HMAC secret is devices/<name>/agent.secret. */
  stateDir: string;
  /** The device agent's port on every mesh IP (mesh.agent_port). */
  agentPort: number;
  /**
   * The bot's copy of each device's audit: every call is recorded before it is sent, carries
   * its call_ref, and is followed by a sync (required: a call the mirror does not know of
   * would make the device look corrupted).
   */
  audit: AuditMirror;
  log?: Logger;
}

/**
 * The tools of live WireGuard devices: their manifest from the device row, their secret
 * from the state directory, and signed HTTP to http://<mesh_ip>:<agent_port>.
 */
export class WgDevices {
  constructor(private readonly options: WgDevicesOptions) {}

  toolsFor(device: Device): Tool[] {
    if (device.backend !== "wg" || device.status !== "live" || !device.mesh_ip || !device.manifest) {
      throw new UserError(`${device.name} is not a live WireGuard device — see !add-pc`);
    }
    const manifest = parseStoredManifest(device);
    const secret = this.readSecret(device.name);
    const baseUrl = `http://${device.mesh_ip}:${this.options.agentPort}`;
    const transport: AgentTransport = (method, path, payload, timeoutMs) =>
      agentRequest(baseUrl, secret, method, path, payload, timeoutMs);
    const { audit, log } = this.options;
    return wgTools({
      manifest,
      call: trackedCalls(audit, device.name, transport, log),
      flavor: policyFlavor(device.os),
    });
  }

  secretFile(name: string): string {
    return agentSecretPath(this.options.stateDir, name);
  }

  private readSecret(name: string): string {
    return readAgentSecret(this.options.stateDir, name);
  }
}

export function parseStoredManifest(device: Pick<Device, "name" | "manifest">): Manifest {
  let raw: unknown;
  try {
    raw = JSON.parse(device.manifest ?? "null");
  } catch {
    throw new UserError(`the stored manifest of ${device.name} is not JSON — re-run !add-pc ${device.name}`);
  }
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success) {
    const problem = parsed.error.issues[0];
    throw new UserError(
      `the stored manifest of ${device.name} is not valid (${problem?.path.join(".") ?? ""}: ${problem?.message ?? ""})`,
    );
  }
  return parsed.data;
}

/**
 * Wraps a device's transport so that every POST /call is on the bot's record: recorded
 * (with a fresh call_ref) before it is sent, its reply kind recorded after, then the bot's
 * copy of the audit synced. A sync that fails is logged and left to the health sweep — the
 * tool's result is never lost to it. A reply in an unexpected shape is an error.
 */
export function trackedCalls(
  mirror: AuditMirror,
  device: string,
  transport: AgentTransport,
  log?: Logger,
): AgentTransport {
  return async (method, path, payload, timeoutMs) => {
    if (method !== "POST" || path !== "/call") return transport(method, path, payload, timeoutMs);
    const call = parseWire(outgoingCallSchema, payload, "the bot's own POST /call");
    const ref = mirror.recordSent(device, call);
    let reply: Awaited<ReturnType<AgentTransport>>;
    try {
      reply = await transport(method, path, { ...call, call_ref: ref }, timeoutMs);
    } catch (error) {
      mirror.recordReply(device, ref, "unknown");
      throw error;
    }
    const parsed = callReplySchema.safeParse(reply.body);
    const body = parsed.success ? parsed.data : undefined;
    if (reply.status === 200 && body && "status" in body && body.status === "done") {
      const exitCode = body.result.exitCode;
      const bytes = body.result.bytes;
      // The device said its result entry could not be written: its absence is not tampering.
      mirror.recordReply(device, ref, body.auditResultWritten === false ? "unknown" : "done", {
        exitCode: typeof exitCode === "number" ? exitCode : null,
        bytes: typeof bytes === "number" ? bytes : null,
      });
    } else if (reply.status === 403 && body && "status" in body && body.status === "refused") {
      mirror.recordReply(device, ref, "refused");
    } else {
      mirror.recordReply(device, ref, "unknown");
    }
    try {
      const verdict = await mirror.sync(device, transport);
      if (!verdict.ok) log?.warn({ device, firstBrokenId: verdict.firstBrokenId }, verdict.reason);
    } catch (error) {
      log?.warn(
        { device, err: errorMessage(error) },
        "could not sync the bot's copy of the audit after a call",
      );
    }
    if (!parsed.success) parseWire(callReplySchema, reply.body, "POST /call");
    return reply;
  };
}
