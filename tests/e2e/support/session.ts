import { BotProcess } from "../../../lab/bot-process";
import type { LabFacts } from "../../../lab/facts";
import { LabMatrixClient, isNoticeFrom, reactionTo, type MatrixEvent } from "../../../lab/matrix-client";
import { loadConfig } from "../../../config/load";

export const WAIT = 60_000;

/** The bot (fresh state), the operator logged in and in the control room. */
export class LabSession {
  readonly bot: BotProcess;
  operator!: LabMatrixClient;
  alertsRoom!: string;

  constructor(
    readonly facts: LabFacts,
    name: string,
    env: NodeJS.ProcessEnv = {},
    /** configFile: a test's own bot config (the lab's, plus what the test needs). */
    private readonly options: { configFile?: string } = {},
  ) {
    this.bot = new BotProcess(facts, { name, env, ...options });
  }

  async start(): Promise<void> {
    BotProcess.wipeState(loadConfig(this.options.configFile ?? this.facts.botConfig).config.state_dir);
    this.operator = await LabMatrixClient.login(
      this.facts.homeserverUrl,
      this.facts.operator.user,
      this.facts.operator.password,
    );
    await this.operator.start();
    await this.bot.start();
    this.alertsRoom = await this.operator.resolveAlias(this.facts.alertsAlias);
    await this.operator.join(this.alertsRoom);
  }

  async stop(): Promise<void> {
    await this.operator?.stop();
    await this.bot.stop();
  }

  /** Sends a command; resolves with the bot's ✅/❌ on it (the command is finished then). */
  async command(text: string): Promise<{ sent: string; reaction: string }> {
    const sent = await this.operator.sendText(this.alertsRoom, text);
    const reaction = await this.operator.waitFor(
      reactionTo(sent, this.facts.botUserId),
      WAIT,
      `the bot's reaction to ${text}`,
    );
    return { sent, reaction: (reaction.content["m.relates_to"] as { key: string }).key };
  }

  /** The first notice the bot posted after `sent`, as it reads now (edits applied). */
  noticeAfter(sent: string): string | undefined {
    const notice = this.operator.events.find(
      (e) =>
        isNoticeFrom(this.facts.botUserId, this.alertsRoom)(e) &&
        !isEdit(e) &&
        this.operator.isAfter(e, sent),
    );
    return notice ? currentBody(this.operator, notice) : undefined;
  }

  /** The m.text the bot sent after `sent` that mentions the operator (what reaches the phone). */
  mentionAfter(sent: string): MatrixEvent | undefined {
    return this.operator.events.find(
      (e) =>
        e.type === "m.room.message" &&
        e.sender === this.facts.botUserId &&
        e.content.msgtype === "m.text" &&
        (e.content["m.mentions"] as { user_ids?: string[] } | undefined)?.user_ids?.includes(
          this.facts.operator.userId,
        ) === true &&
        this.operator.isAfter(e, sent),
    );
  }
}

export function isEdit(e: MatrixEvent): boolean {
  return (e.content["m.relates_to"] as { rel_type?: string } | undefined)?.rel_type === "m.replace";
}

/** A message's body with its latest edit applied. */
export function currentBody(client: LabMatrixClient, message: MatrixEvent): string {
  const edits = client.events.filter(
    (e) => isEdit(e) && (e.content["m.relates_to"] as { event_id?: string }).event_id === message.event_id,
  );
  const latest = edits[edits.length - 1];
  const content = (latest?.content["m.new_content"] ?? message.content) as { body?: unknown };
  return typeof content.body === "string" ? content.body : "";
}
