import type { ServerResponse } from "node:http";
import type { Html } from "./html";

/** One server-sent event; data is JSON on one line (no newline can split it). */
export function sseEvent(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

export function openStream(res: ServerResponse): void {
  res.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-store",
    connection: "keep-alive",
    "x-accel-buffering": "no",
  });
  res.write("retry: 2000\n\n");
}

export interface GridSnapshot {
  rows: Map<string, { signature: string; html: () => Html }>;
  summary: () => Html;
  incidents: { signature: string; html: () => Html };
}

/**
 * The live grid: on a poke (a health verdict written, a panel run's step) or every
 * fallbackMs (changes made from chat), a snapshot is taken and only rows whose signature
 * changed are sent to every open page. Nothing is computed while no page listens.
 */
export class GridFeed {
  private readonly clients = new Set<ServerResponse>();
  private rows = new Map<string, string>();
  private incidents = "";
  private summary = "";
  private scheduled: NodeJS.Timeout | undefined;
  private readonly fallback: NodeJS.Timeout;
  private readonly keepalive: NodeJS.Timeout;

  constructor(
    private readonly snapshot: () => GridSnapshot,
    fallbackMs: number,
    private readonly coalesceMs = 15,
  ) {
    this.fallback = setInterval(() => this.diff(), fallbackMs);
    this.fallback.unref();
    // Proxies close idle streams; a comment line every 25 s keeps them open.
    this.keepalive = setInterval(() => this.broadcast(": keepalive\n\n"), 25_000);
    this.keepalive.unref();
  }

  /** A change happened somewhere: diff soon (changes within coalesceMs are sent together). */
  poke(): void {
    if (this.scheduled || this.clients.size === 0) return;
    this.scheduled = setTimeout(() => {
      this.scheduled = undefined;
      this.diff();
    }, this.coalesceMs);
  }

  add(res: ServerResponse): void {
    if (this.clients.size === 0) this.baseline();
    this.clients.add(res);
    res.on("close", () => this.clients.delete(res));
    // The page may be older than the baseline: bring it up to date once.
    const snap = this.snapshot();
    for (const [name, row] of snap.rows) res.write(sseEvent("row", { name, html: row.html().text }));
    res.write(sseEvent("summary", { html: snap.summary().text }));
    res.write(sseEvent("incidents", { html: snap.incidents.html().text }));
  }

  get listeners(): number {
    return this.clients.size;
  }

  stop(): void {
    clearInterval(this.fallback);
    clearInterval(this.keepalive);
    clearTimeout(this.scheduled);
    for (const res of this.clients) res.end();
    this.clients.clear();
  }

  private baseline(): void {
    const snap = this.snapshot();
    this.rows = new Map([...snap.rows].map(([name, row]) => [name, row.signature]));
    this.incidents = snap.incidents.signature;
    this.summary = snap.summary().text;
  }

  private diff(): void {
    if (this.clients.size === 0) return;
    const snap = this.snapshot();
    const out: string[] = [];
    for (const [name, row] of snap.rows)
      if (this.rows.get(name) !== row.signature) out.push(sseEvent("row", { name, html: row.html().text }));
    for (const name of this.rows.keys())
      if (!snap.rows.has(name)) out.push(sseEvent("row", { name, html: "" }));
    this.rows = new Map([...snap.rows].map(([name, row]) => [name, row.signature]));
    const summary = snap.summary().text;
    if (summary !== this.summary) out.push(sseEvent("summary", { html: summary }));
    this.summary = summary;
    if (snap.incidents.signature !== this.incidents)
      out.push(sseEvent("incidents", { html: snap.incidents.html().text }));
    this.incidents = snap.incidents.signature;
    if (out.length > 0) this.broadcast(out.join(""));
  }

  private broadcast(chunk: string): void {
    for (const res of this.clients) res.write(chunk);
  }
}
