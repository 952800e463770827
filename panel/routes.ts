import type { IncomingMessage, ServerResponse } from "node:http";
import type { Command, ParsedArgs } from "../bot/commands/types";
import { isUserError } from "../common/errors";
import type { Logger } from "../common/log";
import { validateDeviceName } from "../provisioning/names";
import type { PanelData } from "./data";
import { redirect, send } from "./http";
import { GridFeed, openStream, sseEvent, type GridSnapshot } from "./live";
import { addPage, type AddFormValues } from "./pages/add";
import { devicePage, outcomePage, revokeConfirmPage } from "./pages/device";
import { gridRow, gridSummary, gridTable, rowSignature, type GridRowInput } from "./pages/grid";
import { incidentsBody, incidentsPage } from "./pages/incidents";
import { messagePage, page, type Viewer } from "./pages/layout";
import { runBody, runPage } from "./pages/run";
import { PanelRuns } from "./runs";
import type { Session } from "./sessions";

export interface PanelRouteDeps {
  data: PanelData;
  /** The bot's command table: the panel runs the same commands chat does, as the operator. */
  commands: { find(name: string): Command | undefined };
  /** An operator's answer to a pending approval, with the same rules as a reaction; false when nothing waits. */
  approve(roomId: string, eventId: string, operator: string, yes: boolean): boolean;
  log: Logger;
  /** How often open grids look for changes made elsewhere (chat); default 1 s. */
  fallbackMs?: number;
}

const RECENT_INCIDENTS = 30;

/** The panel's pages and actions once a session is known. */
export class PanelRoutes {
  readonly feed: GridFeed;
  readonly runs: PanelRuns;

  constructor(private readonly deps: PanelRouteDeps) {
    this.feed = new GridFeed(() => this.snapshot(), deps.fallbackMs ?? 1000);
    this.runs = new PanelRuns(deps.log.child({ component: "panel" }), () => this.feed.poke());
  }

  get(req: IncomingMessage, res: ServerResponse, path: string, session: Session): void {
    const viewer: Viewer = { operator: session.operator, csrf: session.csrf };
    const now = Date.now();
    if (path === "/")
      return send(
        res,
        200,
        page({ title: "Devices", viewer, section: "grid", live: "grid", body: gridTable(this.rows(), now) }),
      );
    if (path === "/events") {
      openStream(res);
      this.feed.add(res);
      return;
    }
    if (path === "/add")
      return send(res, 200, page({ title: "Add device", viewer, section: "add", body: addPage(viewer) }));
    if (path === "/incidents") {
      const { data } = this.deps;
      const body = incidentsPage(data.openIncidents(), data.recentIncidents(RECENT_INCIDENTS), now);
      return send(
        res,
        200,
        page({ title: "Incidents", viewer, section: "incidents", live: "incidents", body }),
      );
    }
    const device = /^\/d\/([^/]+)$/.exec(path);
    if (device) return this.devicePage(res, decodeURIComponent(device[1]!), viewer);
    const run = /^\/runs\/([0-9a-f-]{36})(\/events)?$/.exec(path);
    if (run) return this.runPage(req, res, run[1]!, run[2] !== undefined, viewer);
    return send(res, 404, messagePage("Not found", "There is no such page.", viewer));
  }

  async post(
    _req: IncomingMessage,
    res: ServerResponse,
    path: string,
    form: URLSearchParams,
    session: Session,
  ): Promise<void> {
    const viewer: Viewer = { operator: session.operator, csrf: session.csrf };
    if (path === "/add") return this.add(res, form, viewer);
    const approvals = /^\/d\/([^/]+)\/approvals$/.exec(path);
    if (approvals) return this.decide(res, decodeURIComponent(approvals[1]!), form, viewer);
    const revoke = /^\/d\/([^/]+)\/revoke$/.exec(path);
    if (revoke) return this.revoke(res, decodeURIComponent(revoke[1]!), form, viewer);
    return send(res, 404, messagePage("Not found", "There is no such action.", viewer));
  }

  private devicePage(res: ServerResponse, name: string, viewer: Viewer, notice?: string, status = 200): void {
    const { data } = this.deps;
    const device = data.devices().find((d) => d.name === name);
    if (!device) return send(res, 404, messagePage("No such device", `There is no device ${name}.`, viewer));
    const body = devicePage(
      {
        device,
        health: data.health().get(name),
        incident: data.openIncidents().find((i) => i.device === name),
        audit: data.audit(device, 20),
        turns: device.room_id ? data.recentTurns(device.room_id, 10) : [],
        approvals: data.pendingApprovals(name),
        roomLink: data.roomLink(device),
        ...(notice ? { notice } : {}),
      },
      viewer,
      Date.now(),
    );
    send(res, status, page({ title: name, viewer, body }));
  }

  private runPage(
    req: IncomingMessage,
    res: ServerResponse,
    id: string,
    events: boolean,
    viewer: Viewer,
  ): void {
    const run = this.runs.get(id);
    if (!run)
      return send(
        res,
        404,
        messagePage("No such run", "That run is not known (the bot may have restarted).", viewer),
      );
    if (!events)
      return send(res, 200, page({ title: run.title, viewer, live: `run:${run.id}`, body: runPage(run) }));
    openStream(res);
    const push = (): void => {
      res.write(sseEvent("run", { state: run.state, html: runBody(run).text }));
    };
    push();
    const unsubscribe = this.runs.subscribe(id, push);
    req.on("close", unsubscribe);
  }

  private add(res: ServerResponse, form: URLSearchParams, viewer: Viewer): void {
    const field = (name: string): string => (form.get(name) ?? "").trim();
    const values: AddFormValues = {
      mode: field("mode"),
      name: field("name"),
      via: field("via"),
      target: field("target"),
      key: field("key"),
      os: field("os"),
      arch: field("arch"),
    };
    const command = this.deps.commands.find("add-pc");
    const refuse = (sentence: string): void =>
      send(
        res,
        422,
        page({ title: "Add device", viewer, section: "add", body: addPage(viewer, values, sentence) }),
      );
    if (!command) return refuse("adding devices is not available");
    try {
      validateDeviceName(values.name ?? "");
    } catch (error) {
      if (isUserError(error)) return refuse(error.message);
      throw error;
    }
    let args: ParsedArgs;
    let title: string;
    if (values.mode === "pull") {
      if (
        !["linux", "darwin", "windows"].includes(values.os ?? "") ||
        !["amd64", "arm64"].includes(values.arch ?? "")
      )
        return refuse("choose an OS and an architecture from the lists");
      args = {
        positionals: { name: values.name! },
        flags: { via: "pull", os: values.os!, arch: values.arch! },
      };
      title = `Adding ${values.name!} (pull)`;
    } else {
      if (values.via !== "wg" && values.via !== "ssh") return refuse("choose WireGuard or SSH-only");
      if (!values.target) return refuse("give the SSH target: user@host[:port], or an alias from ssh_hosts");
      args = {
        positionals: { name: values.name! },
        flags: { via: values.via, ssh: values.target, ...(values.key ? { key: values.key } : {}) },
      };
      title = `Adding ${values.name!} (${values.via === "wg" ? "WireGuard" : "SSH-only"})`;
    }
    this.deps.log.info(
      { operator: viewer.operator, device: values.name, mode: values.mode, via: values.via },
      "panel: add device",
    );
    const run = this.runs.start(command, args, viewer.operator, title);
    redirect(res, `/runs/${run.id}`);
  }

  private decide(res: ServerResponse, name: string, form: URLSearchParams, viewer: Viewer): void {
    const decision = form.get("decision");
    const eventId = form.get("event") ?? "";
    if (decision !== "approve" && decision !== "refuse")
      return this.devicePage(res, name, viewer, "Choose Approve or Refuse.", 400);
    const pending = this.deps.data.pendingApprovals(name).find((a) => a.eventId === eventId);
    const answered = pending
      ? this.deps.approve(pending.roomId, pending.eventId, viewer.operator, decision === "approve")
      : false;
    this.deps.log.info(
      { operator: viewer.operator, device: name, eventId, decision, answered },
      "panel: approval",
    );
    this.feed.poke();
    this.devicePage(
      res,
      name,
      viewer,
      answered
        ? decision === "approve"
          ? "Approved: the agent runs the call now."
          : "Refused: the agent is told it may not run the call."
        : "That request is no longer waiting (answered in chat, or timed out).",
    );
  }

  private async revoke(
    res: ServerResponse,
    name: string,
    form: URLSearchParams,
    viewer: Viewer,
  ): Promise<void> {
    const command = this.deps.commands.find("revoke");
    if (!command) return send(res, 404, messagePage("Not available", "Revoking is not available.", viewer));
    const code = (form.get("code") ?? "").trim();
    this.deps.log.info(
      { operator: viewer.operator, device: name, step: code ? "confirm" : "ask" },
      "panel: revoke",
    );
    const args: ParsedArgs = { positionals: { device: name }, flags: code ? { confirm: code } : {} };
    const run = await this.runs.runToEnd(command, args, viewer.operator, `Revoke ${name}`);
    this.feed.poke();
    const prompt = run.messages.find((m) => /--confirm [A-Z0-9]{4}/.test(m));
    if (!code && prompt && run.state === "done")
      return send(
        res,
        200,
        page({ title: `Revoke ${name}`, viewer, body: revokeConfirmPage(name, prompt, viewer) }),
      );
    const sentences = [...run.messages, ...(run.error ? [run.error] : [])];
    const ok = run.state === "done";
    send(
      res,
      ok ? 200 : 422,
      page({
        title: `Revoke ${name}`,
        viewer,
        body: outcomePage(`Revoke ${name}`, sentences, ok, ok ? "/" : `/d/${encodeURIComponent(name)}`),
      }),
    );
  }

  private rows(): GridRowInput[] {
    const { data } = this.deps;
    const health = data.health();
    const open = new Map(data.openIncidents().map((i) => [i.device, i]));
    const pending = data.pendingCounts();
    return data.devices().map((device) => ({
      device,
      health: health.get(device.name),
      incident: open.get(device.name),
      pending: pending.get(device.name) ?? 0,
      roomLink: data.roomLink(device),
    }));
  }

  private snapshot(): GridSnapshot {
    const rows = this.rows();
    const now = Date.now();
    const { data } = this.deps;
    const open = data.openIncidents();
    const recent = data.recentIncidents(RECENT_INCIDENTS);
    return {
      rows: new Map(
        rows.map((r) => [r.device.name, { signature: rowSignature(r), html: () => gridRow(r, now) }]),
      ),
      summary: () => gridSummary(rows),
      incidents: {
        signature: JSON.stringify([...open, ...recent].map((i) => [i.id, i.status, i.reason, i.closed_at])),
        html: () => incidentsBody(open, recent, now),
      },
    };
  }
}
