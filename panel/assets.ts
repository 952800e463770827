/**
 * The panel's only assets, served by the bot itself (no CDN): one stylesheet and one small
 * script for the live parts. Kept as strings so `tsc` ships them in dist/ with the code.
 */
export const PANEL_CSS = `
:root { --fg:#1b1f24; --muted:#5a6470; --bg:#fff; --line:#d6dbe1; --accent:#0b57d0;
  --green:#1a7f37; --yellow:#b58100; --red:#c62828; --grey:#6e7781; --blue:#3d6fb6; }
* { box-sizing: border-box; }
body { margin:0; font:15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color:var(--fg); background:var(--bg); }
a { color:var(--accent); }
:focus-visible { outline:3px solid var(--accent); outline-offset:2px; }
.skip { position:absolute; left:-999px; top:0; background:#fff; padding:.5em; }
.skip:focus { left:.5em; z-index:10; }
.visually-hidden { position:absolute; width:1px; height:1px; overflow:hidden; clip:rect(0 0 0 0); white-space:nowrap; }
.top { display:flex; flex-wrap:wrap; gap:.5em 1.2em; align-items:center; padding:.6em 1em; border-bottom:1px solid var(--line); }
.brand { font-weight:700; }
.top nav { display:flex; gap:1em; flex-wrap:wrap; }
.top nav a[aria-current] { font-weight:700; text-decoration-thickness:3px; }
.logout { margin-left:auto; display:flex; gap:.5em; align-items:center; }
.who { color:var(--muted); font-size:.9em; overflow-wrap:anywhere; }
main { padding:1em; max-width:1400px; }
h1 { font-size:1.4em; margin:.2em 0 .6em; }
h2 { font-size:1.1em; margin:1.4em 0 .5em; }
button { font:inherit; padding:.45em .9em; border:1px solid var(--accent); background:var(--accent); color:#fff; border-radius:6px; cursor:pointer; min-height:2.4em; }
button.danger { background:var(--red); border-color:var(--red); }
button.ok { background:var(--green); border-color:var(--green); }
.logout button, button.copy { background:#fff; color:var(--accent); }
input, select { font:inherit; padding:.4em; border:1px solid #8c959f; border-radius:6px; width:100%; max-width:28em; min-height:2.4em; }
.stack { display:flex; flex-direction:column; gap:.35em; align-items:flex-start; }
.stack button { margin-top:.6em; }
.columns { display:grid; grid-template-columns:repeat(auto-fit, minmax(300px, 1fr)); gap:2em; }
.muted, .summary { color:var(--muted); }
.bad { color:var(--red); }
.good { color:var(--green); }
.notice { padding:.6em .9em; border-left:4px solid var(--green); background:#f3f8f4; }
.notice.bad { border-color:var(--red); background:#fdf3f3; }
.dot { display:inline-block; width:.8em; height:.8em; border-radius:50%; vertical-align:-.05em; }
.dot.green { background:var(--green); } .dot.yellow { background:var(--yellow); } .dot.red { background:var(--red); }
.dot.grey { background:var(--grey); } .dot.blue { background:var(--blue); }
.live { font-size:.8em; margin-left:.6em; }
table { border-collapse:collapse; width:100%; }
th, td { text-align:left; padding:.45em .6em; border-bottom:1px solid var(--line); vertical-align:top; }
thead th { font-size:.85em; color:var(--muted); font-weight:600; }
tbody th { font-weight:600; }
tr[data-color="yellow"] { background:#fff8e1; }
tr[data-color="red"] { background:#fdecea; }
tr[data-color="grey"] { color:var(--grey); }
.reason, .since { display:block; font-size:.85em; color:var(--muted); }
.badge { font-size:.75em; background:var(--yellow); color:#000; border-radius:1em; padding:.05em .5em; }
code, pre { font-family:ui-monospace, "DejaVu Sans Mono", monospace; font-size:.92em; overflow-wrap:anywhere; }
pre.command { background:#f4f6f8; padding:.7em; white-space:pre-wrap; word-break:break-all; }
.facts { display:grid; grid-template-columns:max-content 1fr; gap:.3em 1em; }
.facts dt { color:var(--muted); } .facts dd { margin:0; }
.approvals { list-style:none; padding:0; } .approval { border:1px solid var(--line); border-radius:6px; padding:.6em; margin-bottom:.6em; }
.approval form { display:flex; gap:.6em; }
.steps { padding-left:1.2em; } .steps li.failed { color:var(--red); } .steps li.done { color:var(--green); } .steps li.undone { color:var(--muted); }
.danger-zone { border-top:2px solid var(--red); margin-top:2em; }
@media (max-width: 760px) {
  main { padding:.7em; }
  table.grid thead, table.list thead { display:none; }
  table.grid tr, table.list tr { display:block; border:1px solid var(--line); border-radius:8px; margin-bottom:.7em; padding:.3em .2em; }
  table.grid td, table.grid th, table.list td, table.list th { display:flex; gap:.8em; justify-content:space-between; border:0; padding:.2em .5em; text-align:right; }
  table.grid td::before, table.grid th::before, table.list td::before, table.list th::before { content:attr(data-label); color:var(--muted); font-weight:400; text-align:left; }
  table.grid td[data-label="State"] { flex-wrap:wrap; }
  table.grid td[data-label="State"] .st { margin-left:auto; }
  .logout { margin-left:0; }
}
`;

export const PANEL_JS = `"use strict";
(function () {
  function fmt(ms) {
    var s = Math.max(0, Math.round(ms / 1000));
    if (s < 90) return s + " s";
    var min = Math.round(s / 60); if (min < 90) return min + " min";
    var h = Math.round(min / 60); if (h < 48) return h + " h";
    return Math.round(h / 24) + " d";
  }
  function tick() {
    var now = Date.now();
    document.querySelectorAll("time[data-ms]").forEach(function (t) {
      t.textContent = fmt(now - Number(t.getAttribute("data-ms"))) + (t.getAttribute("data-suffix") || "");
    });
  }
  setInterval(tick, 5000);
  function fragment(markup) {
    var tpl = document.createElement("template");
    tpl.innerHTML = markup;
    return tpl.content;
  }
  function status(text) {
    var el = document.getElementById("live-status");
    if (el) el.textContent = text;
  }
  var live = document.body.getAttribute("data-live") || "";
  if (live === "grid" || live === "incidents") {
    var source = new EventSource("/events");
    source.onopen = function () { status("live"); };
    source.onerror = function () { status("reconnecting…"); };
    source.addEventListener("row", function (e) {
      var data = JSON.parse(e.data);
      var body = document.getElementById("grid-body");
      if (!body) return;
      var old = document.getElementById("row-" + data.name);
      if (!data.html) { if (old) old.remove(); return; }
      var row = fragment(data.html).firstElementChild;
      if (old) old.replaceWith(row); else body.appendChild(row);
      document.body.setAttribute("data-updated", String(Date.now()));
    });
    source.addEventListener("summary", function (e) {
      var el = document.getElementById("grid-summary");
      var data = JSON.parse(e.data);
      if (el) el.replaceWith(fragment(data.html).firstElementChild);
      status("live");
    });
    source.addEventListener("incidents", function (e) {
      var el = document.getElementById("incidents");
      if (el) el.replaceWith(fragment(JSON.parse(e.data).html).firstElementChild);
    });
  }
  if (live.indexOf("run:") === 0) {
    var runSource = new EventSource("/runs/" + encodeURIComponent(live.slice(4)) + "/events");
    runSource.addEventListener("run", function (e) {
      var el = document.getElementById("run");
      var data = JSON.parse(e.data);
      if (el) el.replaceWith(fragment(data.html).firstElementChild);
      if (data.state !== "running") runSource.close();
    });
  }
  document.addEventListener("click", function (e) {
    var button = e.target.closest ? e.target.closest("button[data-copy]") : null;
    if (!button) return;
    var text = document.getElementById(button.getAttribute("data-copy")).textContent;
    navigator.clipboard.writeText(text).then(function () { button.textContent = "Copied"; }, function () { button.textContent = "Select and copy it"; });
  });
})();
`;
