import type { Incident } from "../../health/incidents";
import { html, type Html } from "../html";
import { age } from "./layout";

/** Open incidents and the ones closed lately; replaced live by the script. */
export function incidentsBody(open: readonly Incident[], recent: readonly Incident[], now: number): Html {
  const row = (i: Incident): Html =>
    html`<tr id="incident-${i.id}">
      <th scope="row" data-label="#">#${i.id}</th>
      <td data-label="Device"><a href="/d/${encodeURIComponent(i.device)}">${i.device}</a></td>
      <td data-label="Status">${i.status}</td>
      <td data-label="Reason">${i.reason}</td>
      <td data-label="Opened">${age(i.opened_at, now, " ago")}</td>
      <td data-label="Closed">
        ${i.closed_at === null ? "open" : html`${age(i.closed_at, now, " ago")} (${i.closed_by ?? ""})`}
      </td>
    </tr>`;
  const table = (caption: string, list: readonly Incident[], empty: string): Html =>
    list.length === 0
      ? html`<p>${empty}</p>`
      : html`<table class="list">
          <caption class="visually-hidden">
            ${caption}
          </caption>
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">Device</th>
              <th scope="col">Status</th>
              <th scope="col">Reason</th>
              <th scope="col">Opened</th>
              <th scope="col">Closed</th>
            </tr>
          </thead>
          <tbody>
            ${list.map(row)}
          </tbody>
        </table>`;
  return html`<div id="incidents">
    <h2>Open</h2>
    ${table("Open incidents", open, "No open incidents.")}
    <h2>Recent</h2>
    ${table("Incidents closed lately", recent, "None closed lately.")}
  </div>`;
}

export function incidentsPage(open: readonly Incident[], recent: readonly Incident[], now: number): Html {
  return html`<h1>Incidents <span class="live" id="live-status" role="status">connecting…</span></h1>
    ${incidentsBody(open, recent, now)}`;
}
