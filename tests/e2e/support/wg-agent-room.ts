import type { ChildProcess } from "node:child_process";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { AuditEntry } from "../../../common/audit/chain";
import { loadConfig } from "../../../config/load";
import { AnthropicStandIn } from "../../../lab/anthropic-standin";
import type { LabFacts } from "../../../lab/facts";
import type { MatrixEvent } from "../../../lab/matrix-client";
import { openDatabase } from "../../../state/db";
import { DeviceStore } from "../../../state/devices";
import { BOT_MIGRATIONS } from "../../../state/migrations";
import { agentSays, startPc1Agent, STANDIN_KEY, stopChild, writeAgentsConfig } from "./agents";
import { NamespaceHttp } from "./device-agent";
import { LabSession, WAIT } from "./session";

/**
 * The set-up of tests/e2e/agents-wg.test.ts as one value: the Messages API stand-in, the
 * real device agent in pc1 (its home under the lab dir), the real bot whose pc1 row is the
 * WireGuard device reaching that agent, and the operator in pc1's room.
 */
export class WgAgentRoom {
  standIn!: AnthropicStandIn;
  session!: LabSession;
  http!: NamespaceHttp;
  home!: string;
  room!: string;
  private child: ChildProcess | undefined;
  readonly agent: string;

  constructor(
    private readonly facts: LabFacts,
    private readonly name: string,
    readonly secret: string,
    private readonly llm: Record<string, unknown> = {},
    /** The device's name in the bot (its agent still runs in the pc1 namespace). */
    readonly device = "pc1",
  ) {
    this.agent = `@agent-${device}:meshpilot.test`;
  }

  /** The bot's state database (read it; the bot owns it). */
  dbPath!: string;

  async start(): Promise<void> {
    const facts = this.facts;
    const repo = facts.repo;
    this.standIn = await AnthropicStandIn.start({ apiKey: STANDIN_KEY });
    const configFile = writeAgentsConfig(facts, this.name, { base_url: this.standIn.url, ...this.llm });
    const config = loadConfig(configFile).config;
    const port = config.mesh!.agent_port;
    const started = await startPc1Agent(
      facts,
      repo,
      join(facts.labDir, `${this.name}-e2e`),
      port,
      this.secret,
    );
    this.child = started.child;
    this.home = started.home;
    this.http = new NamespaceHttp(repo, "hub", `http://${facts.hosts.pc1!.ip}:${port}`);
    this.session = new LabSession(facts, this.name, {}, { configFile });
    await this.session.start();
    const { reaction } = await this.session.command(
      `!add-pc ${this.device} --via ssh --ssh lucas@${facts.hosts.pc1!.ip}`,
    );
    if (reaction !== "✅") throw new Error(`could not add ${this.device}`);
    this.dbPath = join(config.state_dir, "meshpilot.db");
    const db = openDatabase(this.dbPath, BOT_MIGRATIONS);
    new DeviceStore(db).update(this.device, {
      backend: "wg",
      mesh_ip: facts.hosts.pc1!.ip,
      manifest: JSON.stringify(started.manifest),
    });
    db.close();
    const secretDir = join(config.state_dir, "devices", this.device);
    mkdirSync(secretDir, { recursive: true });
    writeFileSync(join(secretDir, "agent.secret"), this.secret);
    chmodSync(join(secretDir, "agent.secret"), 0o600);
    this.room = await this.session.operator.resolveAlias(`#device-${this.device}:meshpilot.test`);
    await this.session.operator.waitForInvite((id) => id === this.room, WAIT);
    await this.session.operator.join(this.room);
  }

  async stop(): Promise<void> {
    await this.session?.stop();
    this.http?.close();
    await stopChild(this.child);
    await this.standIn?.stop();
  }

  ask(text: string): Promise<string> {
    return this.session.operator.sendText(this.room, text);
  }

  /** The agent's m.text after `after` that satisfies `match`. */
  says(after: string, match: (body: string) => boolean, what: string): Promise<MatrixEvent> {
    return agentSays(this.session.operator, this.room, this.agent, after, match, WAIT, what);
  }

  /** The agent's m.notice after `after` that satisfies `match` (refusals are notices). */
  notice(after: string, match: (body: string) => boolean, what: string): Promise<MatrixEvent> {
    return this.session.operator.waitForAfter(
      after,
      (e) =>
        e.room_id === this.room &&
        e.sender === this.agent &&
        e.content.msgtype === "m.notice" &&
        typeof e.content.body === "string" &&
        match(e.content.body),
      WAIT,
      what,
    );
  }

  async audit(): Promise<AuditEntry[]> {
    const reply = await this.http.signed(this.secret, "GET", "/audit/entries?after=0&limit=1000");
    return (reply.json as { entries: AuditEntry[] }).entries;
  }
}
