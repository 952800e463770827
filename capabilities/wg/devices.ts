import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { UserError, errorCode } from "../../common/errors";
import { agentRequest } from "../../device-agent/client/http";
import { manifestSchema, type Manifest } from "../../device-agent/manifest/schema";
import type { Device } from "../../state/devices";
import type { Tool } from "../types";
import { wgTools } from "./provider";

export interface WgDevicesOptions {
  /** The bot's state_dir: each device's HMAC secret is devices/<name>/agent.secret. */
  stateDir: string;
  /** The device agent's port on every mesh IP (mesh.agent_port). */
  agentPort: number;
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
    return wgTools({
      manifest,
      call: (method, path, payload, timeoutMs) =>
        agentRequest(baseUrl, secret, method, path, payload, timeoutMs),
    });
  }

  secretFile(name: string): string {
    return join(this.options.stateDir, "devices", name, "agent.secret");
  }

  private readSecret(name: string): string {
    const file = this.secretFile(name);
    try {
      // The key signs every call to the device: refuse one that others can read.
      if ((statSync(file).mode & 0o077) !== 0)
        throw new UserError(`${file} is readable by others — run chmod 600 ${file}`);
      const secret = readFileSync(file, "utf8").trim();
      if (!secret) throw new UserError(`${file} is empty`);
      return secret;
    } catch (error) {
      if (error instanceof UserError) throw error;
      throw new UserError(
        `cannot read the agent secret of ${name} (${errorCode(error)}) — re-run !add-pc ${name}`,
      );
    }
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
