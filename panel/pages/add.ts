import { html, type Html } from "../html";
import type { Viewer } from "./layout";

export interface AddFormValues {
  mode?: string;
  name?: string;
  via?: string;
  target?: string;
  key?: string;
  os?: string;
  arch?: string;
}

/** Two forms: push (the hub reaches the PC over SSH) and pull (the PC runs a one-time command). */
export function addPage(viewer: Viewer, values: AddFormValues = {}, error?: string): Html {
  const csrf = html`<input type="hidden" name="csrf" value="${viewer.csrf}" />`;
  const option = (value: string, label: string, current: string | undefined, fallback: string): Html =>
    html`<option value="${value}" ${(current ?? fallback) === value ? html` selected` : ""}>
      ${label}
    </option>`;
  return html`<h1>Add device</h1>
    ${error ? html`<p class="notice bad" role="alert" id="add-error">${error}</p>` : ""}
    <div class="columns">
      <section aria-labelledby="push-h">
        <h2 id="push-h">Push over SSH</h2>
        <p>
          The hub connects to the PC, detects its OS and architecture, and installs or registers everything.
        </p>
        <form method="post" action="/add" class="stack" id="push-form">
          ${csrf}<input type="hidden" name="mode" value="push" />
          <label for="push-name">Name <span class="muted">(lowercase letters, digits, dashes)</span></label>
          <input
            id="push-name"
            name="name"
            required
            autocomplete="off"
            spellcheck="false"
            value="${values.mode === "push" ? (values.name ?? "") : ""}"
          />
          <label for="push-via">Backend</label>
          <select id="push-via" name="via">
            ${option("wg", "WireGuard (mesh + agent)", values.via, "wg")}${option("ssh", "SSH-only (read-only, nothing installed)", values.via, "wg")}
          </select>
          <label for="push-target"
            >SSH target <span class="muted">(user@host[:port] or an alias)</span></label
          >
          <input
            id="push-target"
            name="target"
            required
            autocomplete="off"
            spellcheck="false"
            value="${values.target ?? ""}"
          />
          <label for="push-key"
            >SSH key file on the hub
            <span class="muted">(optional; the configured key otherwise)</span></label
          >
          <input id="push-key" name="key" autocomplete="off" spellcheck="false" value="${values.key ?? ""}" />
          <button type="submit">Add over SSH</button>
        </form>
      </section>
      <section aria-labelledby="pull-h">
        <h2 id="pull-h">Pull (PC behind NAT)</h2>
        <p>You get a one-time command to run on the PC; it enrolls itself.</p>
        <form method="post" action="/add" class="stack" id="pull-form">
          ${csrf}<input type="hidden" name="mode" value="pull" />
          <label for="pull-name">Name</label>
          <input
            id="pull-name"
            name="name"
            required
            autocomplete="off"
            spellcheck="false"
            value="${values.mode === "pull" ? (values.name ?? "") : ""}"
          />
          <label for="pull-os">OS</label>
          <select id="pull-os" name="os">
            ${option("linux", "Linux", values.os, "linux")}${option("darwin", "macOS", values.os, "linux")}${option("windows", "Windows", values.os, "linux")}
          </select>
          <label for="pull-arch">Architecture</label>
          <select id="pull-arch" name="arch">
            ${option("amd64", "amd64 (x86-64)", values.arch, "amd64")}${option("arm64", "arm64", values.arch, "amd64")}
          </select>
          <button type="submit">Get the one-time command</button>
        </form>
      </section>
    </div>`;
}
