import { randomUUID } from "node:crypto";
import { describeFailure, ReportedFailure } from "../common/errors";
import type { Logger } from "../common/log";
import type { Command, CommandContext, ParsedArgs } from "../bot/commands/types";
import type { Reply } from "../bot/reply";

/** A command run from the panel: the same command value chat runs, its output kept for the page. */
export interface PanelRun {
  id: string;
  title: string;
  operator: string;
  startedAt: number;
  /** The checklist, as the chat's edited notice reads now. */
  progress: string | undefined;
  /** What the command told the operator (one-time command, outcome), in order. */
  messages: string[];
  state: "running" | "done" | "failed";
  /** A UserError's sentence or "internal error, reference …". */
  error: string | undefined;
}

/**
 * Runs a command as the operator (ctx.sender is their MXID, so codes, approvals and the
 * journal see who it was) with a context that keeps what it says for the page, and tells
 * listeners after every change (the run page's server-sent events).
 */
export class PanelRuns {
  private readonly runs = new Map<string, PanelRun>();
  private readonly listeners = new Map<string, Set<() => void>>();

  constructor(
    private readonly log: Logger,
    private readonly onChange: () => void = () => undefined,
  ) {}

  get(id: string): PanelRun | undefined {
    return this.runs.get(id);
  }

  subscribe(id: string, listener: () => void): () => void {
    const set = this.listeners.get(id) ?? new Set();
    set.add(listener);
    this.listeners.set(id, set);
    return () => set.delete(listener);
  }

  /** Starts the command; resolves with the run at once (the page follows it live). */
  start(command: Command, args: ParsedArgs, operator: string, title: string): PanelRun {
    const run = this.record(title, operator);
    void this.execute(run, command, args);
    return run;
  }

  /** Runs the command to its end (revoke: the page waits for the sentence). */
  async runToEnd(command: Command, args: ParsedArgs, operator: string, title: string): Promise<PanelRun> {
    const run = this.record(title, operator);
    await this.execute(run, command, args);
    return run;
  }

  private record(title: string, operator: string): PanelRun {
    const run: PanelRun = {
      id: randomUUID(),
      title,
      operator,
      startedAt: Date.now(),
      progress: undefined,
      messages: [],
      state: "running",
      error: undefined,
    };
    this.runs.set(run.id, run);
    // Only the latest hundred runs are kept for their pages.
    if (this.runs.size > 100) this.runs.delete(this.runs.keys().next().value!);
    return run;
  }

  private async execute(run: PanelRun, command: Command, args: ParsedArgs): Promise<void> {
    const log = this.log.child({
      runId: run.id.slice(0, 8),
      cmd: command.name,
      sender: run.operator,
      via: "panel",
    });
    const changed = (): void => {
      for (const listener of this.listeners.get(run.id) ?? []) listener();
      this.onChange();
    };
    const say = (reply: Reply): Promise<string> => {
      run.messages.push(reply.body);
      changed();
      return Promise.resolve(`panel:${run.id}:${run.messages.length}`);
    };
    const ctx: CommandContext = {
      sender: run.operator,
      roomId: "panel",
      eventId: `panel:${run.id}`,
      viaVoice: false,
      log,
      reply: say,
      tell: say,
      startProgress: (reply) => {
        run.progress = reply.body;
        changed();
        return Promise.resolve({
          update: (next: Reply) => {
            run.progress = next.body;
            changed();
          },
          finish: (last: Reply) => {
            run.progress = last.body;
            changed();
            return Promise.resolve();
          },
        });
      },
    };
    try {
      log.info({ args: { ...args.positionals, ...args.flags } }, "panel command started");
      await command.run(ctx, args);
      run.state = "done";
      log.info("panel command finished");
    } catch (error) {
      run.state = "failed";
      if (error instanceof ReportedFailure)
        log.info({ reason: error.message }, "panel command failed (reported)");
      else run.error = describeFailure(log, `!${command.name}`, error);
    }
    changed();
  }
}
