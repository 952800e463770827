import { html, type Html } from "../html";

export interface Viewer {
  operator: string;
  csrf: string;
}

export type Section = "grid" | "add" | "incidents" | "none";

/** A whole page: skip link, header with navigation and logout, main landmark, the one script. */
export function page(options: {
  title: string;
  viewer?: Viewer;
  section?: Section;
  body: Html;
  /** data-live on <body>: which server-sent stream the script follows ("grid", "run:<id>"). */
  live?: string;
}): string {
  const { title, viewer, section = "none", body, live } = options;
  const nav = (href: string, label: string, which: Section): Html =>
    html`<a href="${href}" ${section === which ? html` aria-current="page"` : ""}>${label}</a>`;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
${viewer ? html`<meta name="csrf-token" content="${viewer.csrf}" />` : ""}
<title>${title} · meshpilot</title>
<link rel="stylesheet" href="/assets/panel.css">
<script src="/assets/panel.js" defer></script>
</head>
<body${live ? html` data-live="${live}"` : ""}>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
<span class="brand">meshpilot</span>
${
  viewer
    ? html`<nav aria-label="Panel">
          ${nav("/", "Devices", "grid")}${nav("/add", "Add device", "add")}${nav("/incidents", "Incidents", "incidents")}
        </nav>
        <form class="logout" method="post" action="/logout">
          <input type="hidden" name="csrf" value="${viewer.csrf}" /><span class="who"
            >${viewer.operator}</span
          >
          <button type="submit">Log out</button>
        </form>`
    : ""
}
</header>
<main id="main" tabindex="-1">
${body}
</main>
</body>
</html>
`.text;
}

/** A page that only says something (errors, refusals), with the HTTP status the caller sends. */
export function messagePage(title: string, sentence: string, viewer?: Viewer): string {
  return page({
    title,
    ...(viewer ? { viewer } : {}),
    body: html`<h1>${title}</h1>
      <p class="sentence">${sentence}</p>`,
  });
}

/** A relative age the script keeps fresh: "3 min" with the time in an attribute. */
export function age(ms: number | null, now: number, suffix = ""): Html {
  if (ms === null) return html`<span>—</span>`;
  return html`<time datetime="${new Date(ms).toISOString()}" data-ms="${ms}" data-suffix="${suffix}"
    >${formatShort(now - ms)}${suffix}</time
  >`;
}

function formatShort(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 90) return `${s} s`;
  const min = Math.round(s / 60);
  if (min < 90) return `${min} min`;
  const h = Math.round(min / 60);
  if (h < 48) return `${h} h`;
  return `${Math.round(h / 24)} d`;
}
