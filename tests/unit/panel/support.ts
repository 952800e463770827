import type { Device } from "../../../state/devices";
import type { HealthRecord } from "../../../health/store";

export function device(over: Partial<Device> = {}): Device {
  return {
    name: "pc1",
    backend: "wg",
    status: "live",
    ssh_user: "lucas",
    ssh_host: "192.0.2.11",
    ssh_port: 22,
    os: "linux",
    arch: "amd64",
    os_pretty: "Debian",
    agent_user_id: null,
    room_id: "!r:x",
    mesh_ip: "10.42.0.2",
    manifest: null,
    created_at: 0,
    updated_at: 0,
    ...over,
  };
}

export function health(over: Partial<HealthRecord> = {}): HealthRecord {
  return {
    name: "pc1",
    status: "online",
    reason: "ok",
    detail: null,
    since: 0,
    checked_at: 0,
    last_handshake: 10,
    capabilities: 12,
    agent_version: "meshpilot-device-agent 0.1.0 linux-amd64",
    last_call_at: null,
    audit_count: 4,
    audit_hash: "ab",
    audit_broken_id: null,
    alerted_at: null,
    ...over,
  };
}
