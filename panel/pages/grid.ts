import type { Incident } from "../../health/incidents";
import type { HealthRecord } from "../../health/store";
import type { Device } from "../../state/devices";
import { html, type Html } from "../html";
import { age } from "./layout";

/** The colour a state shows: yellow is "out of contact" (stale or unreachable), red is a broken audit. */
export function stateOf(device: Device, health: HealthRecord | undefined): { state: string; color: string } {
  if (device.status === "revoked") return { state: "revoked", color: "grey" };
  if (device.status === "provisioning") return { state: "being added", color: "blue" };
  if (!health) return { state: "not checked yet", color: "blue" };
  switch (health.status) {
    case "online":
      return { state: "online", color: "green" };
    case "stale":
    case "unreachable":
      return { state: health.status, color: "yellow" };
    case "corrupted":
      return { state: "audit corrupted", color: "red" };
    case "revoked":
      return { state: "revoked", color: "grey" };
  }
}

export interface GridRowInput {
  device: Device;
  health: HealthRecord | undefined;
  incident: Incident | undefined;
  pending: number;
  roomLink: string | undefined;
}

/** What a row shows, without ages: two rows with the same signature look the same. */
export function rowSignature(row: GridRowInput): string {
  const { device, health, incident } = row;
  return JSON.stringify([
    device.status,
    device.backend,
    device.mesh_ip,
    device.ssh_host,
    device.ssh_user,
    device.ssh_port,
    device.room_id,
    health?.status,
    health?.reason,
    health?.since,
    health?.last_handshake,
    health?.capabilities,
    health?.agent_version,
    health?.last_call_at,
    health?.audit_count,
    health?.audit_broken_id,
    incident?.id,
    incident?.status,
    row.pending,
  ]);
}

export function rowId(name: string): string {
  return `row-${name}`;
}

export function gridRow(row: GridRowInput, now: number): Html {
  const { device, health, incident, pending } = row;
  const { state, color } = stateOf(device, health);
  const where =
    device.backend === "wg"
      ? (device.mesh_ip ?? "no IP yet")
      : `${device.ssh_user ?? "?"}@${device.ssh_host ?? "?"}${device.ssh_port && device.ssh_port !== 22 ? `:${device.ssh_port}` : ""}`;
  const reason = health && health.status !== "online" && device.status === "live" ? health.reason : "";
  const handshake =
    device.backend !== "wg" || !health || health.last_handshake === null
      ? html`—`
      : health.last_handshake === 0
        ? html`never`
        : age(health.last_handshake * 1000, now, " ago");
  const audit = !health
    ? html`—`
    : health.audit_broken_id !== null
      ? html`<span class="bad">broken at #${health.audit_broken_id}</span>`
      : health.audit_count === null
        ? html`not checked`
        : html`ok, ${health.audit_count} rows`;
  return html`<tr
    id="${rowId(device.name)}"
    data-state="${health?.status ?? device.status}"
    data-color="${color}"
  >
    <td data-label="State">
      <span class="st"
        ><span class="dot ${color}" aria-hidden="true"></span> <span class="state">${state}</span></span
      >${reason ? html`<span class="reason">${reason}</span>` : ""}${health && device.status === "live" ? html`<span class="since">since ${age(health.since, now, "")}</span>` : ""}
    </td>
    <th scope="row" data-label="Device">
      <a href="/d/${encodeURIComponent(device.name)}">${device.name}</a
      >${pending > 0 ? html` <span class="badge" title="approvals waiting">${pending} to approve</span>` : ""}
    </th>
    <td data-label="Backend">${device.backend === "wg" ? "WireGuard" : "SSH-only"}</td>
    <td data-label="Address"><code>${where}</code></td>
    <td data-label="Handshake">${handshake}</td>
    <td data-label="Capabilities">${health?.capabilities ?? "—"}</td>
    <td data-label="Agent">${agentVersion(device.backend, health?.agent_version)}</td>
    <td data-label="Last command">
      ${health?.last_call_at ? age(health.last_call_at, now, " ago") : "none"}
    </td>
    <td data-label="Audit">${audit}</td>
    <td data-label="Incident">
      ${incident ? html`<a href="/incidents#incident-${incident.id}">#${incident.id} ${incident.status}</a>` : "none"}
    </td>
    <td data-label="Room">
      ${row.roomLink ? html`<a href="${row.roomLink}" rel="noreferrer">room</a>` : "—"}
    </td>
  </tr>`;
}

export function gridSummary(rows: readonly GridRowInput[]): Html {
  const counts = new Map<string, number>();
  for (const r of rows) {
    const { color } = stateOf(r.device, r.health);
    counts.set(color, (counts.get(color) ?? 0) + 1);
  }
  return html`<p class="summary" id="grid-summary">
    ${rows.length}
    device${rows.length === 1 ? "" : "s"}${[...counts].map(([c, n]) => html` · <span class="dot ${c}" aria-hidden="true"></span> ${n} ${c}`)}
    <span class="live" id="live-status" role="status">live</span>
  </p>`;
}

export function gridTable(rows: readonly GridRowInput[], now: number): Html {
  return html`<h1>Devices</h1>
    ${gridSummary(rows)}
    <table class="grid" id="grid">
      <caption class="visually-hidden">
        Devices, their state and health; updated live
      </caption>
      <thead>
        <tr>
          <th scope="col">State</th>
          <th scope="col">Device</th>
          <th scope="col">Backend</th>
          <th scope="col">Mesh IP or SSH address</th>
          <th scope="col">Handshake</th>
          <th scope="col">Capabilities</th>
          <th scope="col">Agent</th>
          <th scope="col">Last command</th>
          <th scope="col">Audit</th>
          <th scope="col">Incident</th>
          <th scope="col">Room</th>
        </tr>
      </thead>
      <tbody id="grid-body">
        ${rows.map((r) => gridRow(r, now))}
      </tbody>
    </table>
    ${rows.length === 0 ? html`<p>No devices yet — <a href="/add">add one</a>.</p>` : ""}`;
}

/** The agent build as its /health says it ("0.1.0 linux-amd64"); an SSH-only device has none. */
function agentVersion(backend: string, version: string | null | undefined): string {
  if (backend === "ssh") return "none (SSH)";
  return version ? version.replace(/^meshpilot-device-agent\s+/, "") : "—";
}
