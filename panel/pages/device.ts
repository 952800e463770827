import type { Incident } from "../../health/incidents";
import type { HealthRecord } from "../../health/store";
import type { Device } from "../../state/devices";
import type { AuditView } from "../data";
import { html, type Html } from "../html";
import type { PendingApproval, TurnSummary } from "../queries";
import { age, type Viewer } from "./layout";
import { stateOf } from "./grid";

export interface DevicePageInput {
  device: Device;
  health: HealthRecord | undefined;
  incident: Incident | undefined;
  audit: AuditView;
  turns: TurnSummary[];
  approvals: PendingApproval[];
  roomLink: string | undefined;
  /** A sentence to show first (the outcome of the last action). */
  notice?: string;
}

export function devicePage(input: DevicePageInput, viewer: Viewer, now: number): Html {
  const { device, health, incident, audit, turns, approvals } = input;
  const { state, color } = stateOf(device, health);
  const base = `/d/${encodeURIComponent(device.name)}`;
  return html`<h1><span class="dot ${color}" aria-hidden="true"></span> ${device.name}</h1>
    ${input.notice ? html`<p class="notice" role="status">${input.notice}</p>` : ""}
    <dl class="facts">
      <dt>State</dt>
      <dd>
        ${state}${health && health.status !== "online" ? html` — ${health.reason}` : ""}${health ? html` (since ${age(health.since, now)})` : ""}
      </dd>
      <dt>Backend</dt>
      <dd>${device.backend === "wg" ? "WireGuard" : "SSH-only"}</dd>
      ${
        device.mesh_ip
          ? html`<dt>Mesh IP</dt>
              <dd><code>${device.mesh_ip}</code></dd>`
          : ""
      }
      ${
        device.ssh_host
          ? html`<dt>SSH</dt>
              <dd><code>${device.ssh_user ?? "?"}@${device.ssh_host}:${device.ssh_port ?? 22}</code></dd>`
          : ""
      }
      ${
        device.os_pretty
          ? html`<dt>OS</dt>
              <dd>${device.os_pretty}${device.arch ? ` ${device.arch}` : ""}</dd>`
          : ""
      }
      <dt>Incident</dt>
      <dd>${incident ? html`#${incident.id} ${incident.status}: ${incident.reason}` : "none open"}</dd>
      ${
        input.roomLink
          ? html`<dt>Room</dt>
              <dd><a href="${input.roomLink}" rel="noreferrer">open the device room</a></dd>`
          : ""
      }
    </dl>

    <section aria-labelledby="approvals-h">
      <h2 id="approvals-h">Waiting for approval</h2>
      ${
        approvals.length === 0
          ? html`<p>Nothing is waiting.</p>`
          : html`<ul class="approvals">
              ${approvals.map(
                (a) =>
                  html`<li class="approval" data-event="${a.eventId}">
                    <p>
                      <code>${a.call}</code> <span class="muted">asked ${age(a.createdAt, now, " ago")}</span>
                    </p>
                    <form method="post" action="${base}/approvals">
                      <input type="hidden" name="csrf" value="${viewer.csrf}" />
                      <input type="hidden" name="event" value="${a.eventId}" />
                      <button
                        type="submit"
                        name="decision"
                        value="approve"
                        class="ok"
                        aria-label="Approve ${a.call}"
                      >
                        Approve
                      </button>
                      <button
                        type="submit"
                        name="decision"
                        value="refuse"
                        class="danger"
                        aria-label="Refuse ${a.call}"
                      >
                        Refuse
                      </button>
                    </form>
                  </li>`,
              )}
            </ul>`
      }
    </section>

    <section aria-labelledby="audit-h">
      <h2 id="audit-h">Audit (the bot's copy)</h2>
      <p class="${audit.ok === false ? "bad" : ""}" id="audit-summary">
        ${audit.ok === true ? "✓ " : audit.ok === false ? "✗ " : ""}${audit.summary}
      </p>
      ${
        audit.calls.length === 0
          ? html`<p>No calls yet.</p>`
          : html`<table class="list">
              <caption class="visually-hidden">
                Recent audited calls
              </caption>
              <thead>
                <tr>
                  <th scope="col">#</th>
                  <th scope="col">When</th>
                  <th scope="col">Call</th>
                  <th scope="col">Result</th>
                </tr>
              </thead>
              <tbody>
                ${audit.calls.map(
                  (c) =>
                    html`<tr>
                      <td data-label="#">${c.id}</td>
                      <td data-label="When">${age(c.ts, now, " ago")}</td>
                      <td data-label="Call"><code>${c.capability} ${c.args}</code></td>
                      <td data-label="Result">${c.outcome}</td>
                    </tr>`,
                )}
              </tbody>
            </table>`
      }
    </section>

    <section aria-labelledby="turns-h">
      <h2 id="turns-h">Recent agent turns</h2>
      ${
        turns.length === 0
          ? html`<p>No conversation yet.</p>`
          : html`<ol class="turns">
              ${turns.map(
                (t) =>
                  html`<li>
                    <p class="muted">
                      ${age(t.at, now, " ago")}${t.tools.length ? html` · tools: ${t.tools.join(", ")}` : ""}
                    </p>
                    <p><strong>Asked:</strong> ${t.asked || "—"}</p>
                    <p><strong>Answer:</strong> ${t.answer || "—"}</p>
                  </li>`,
              )}
            </ol>`
      }
    </section>

    ${device.status === "revoked" ? "" : revokeStart(device, viewer)}`;
}

function revokeStart(device: Device, viewer: Viewer): Html {
  return html`<section aria-labelledby="revoke-h" class="danger-zone">
    <h2 id="revoke-h">Revoke</h2>
    <p>Removes ${device.name} from the mesh and closes its room. You will be given a code to type back.</p>
    <form method="post" action="/d/${encodeURIComponent(device.name)}/revoke">
      <input type="hidden" name="csrf" value="${viewer.csrf}" />
      <button type="submit" class="danger">Revoke ${device.name}…</button>
    </form>
  </section>`;
}

/** After the first revoke step: what it will do (the command's own sentence) and the code to type. */
export function revokeConfirmPage(name: string, sentence: string, viewer: Viewer): Html {
  return html`<h1>Revoke ${name}</h1>
    <p class="sentence" id="revoke-intent">${sentence}</p>
    <form method="post" action="/d/${encodeURIComponent(name)}/revoke" class="stack">
      <input type="hidden" name="csrf" value="${viewer.csrf}" />
      <label for="code">Confirmation code (type it as shown above)</label>
      <input
        id="code"
        name="code"
        autocomplete="off"
        autocapitalize="characters"
        spellcheck="false"
        required
        maxlength="8"
        pattern="[A-Za-z0-9]{4}"
      />
      <button type="submit" class="danger">Revoke ${name}</button>
      <a href="/d/${encodeURIComponent(name)}">Cancel</a>
    </form>`;
}

export function outcomePage(title: string, sentences: readonly string[], ok: boolean, back: string): Html {
  return html`<h1>${title}</h1>
    <div class="${ok ? "notice" : "notice bad"}" role="status" id="outcome">
      ${sentences.map((s) => html`<p>${s}</p>`)}
    </div>
    <p><a href="${back}">Back</a></p>`;
}
