import { randomUUID } from "node:crypto";
import type { Logger } from "../common/log";
import { parseArgs, tokenize } from "./commands/args";
import type { CommandTable } from "./commands/table";
import type { CommandContext } from "./commands/types";
import type { MatrixPort } from "./port";
import { mentionContent, noticeContent, plain } from "./reply";
import { describeFailure } from "./safe";
import { ReportedFailure } from "../common/errors";
import { ProgressMessage } from "./progress";

export interface RoomMessage {
  roomId: string;
  eventId: string;
  sender: string;
  msgtype: string;
  body: string;
  /** Transcribed from a voice message: the words are the operator's, the exact text is not. */
  viaVoice?: boolean;
}

export interface DispatchDeps {
  table: CommandTable;
  operators: ReadonlySet<string>;
  matrix: MatrixPort;
  log: Logger;
}

export const REACT_OK = "✅";
export const REACT_FAILED = "❌";

/**
 * Turns an operator's `!command …` message into a command run: parse, run, react ✅ or
 * ❌, and answer a mistake with one sentence. Messages from anyone else are dropped.
 * Returns whether the message was a command for the bot.
 */
export async function dispatchCommand(deps: DispatchDeps, message: RoomMessage): Promise<boolean> {
  const { log, matrix } = deps;
  if (message.sender === matrix.userId) return false;
  if (message.msgtype !== "m.text") return false;
  const line = stripReplyFallback(message.body).trim();
  if (!line.startsWith("!")) return false;
  if (!deps.operators.has(message.sender)) {
    log.debug(
      { sender: message.sender, roomId: message.roomId },
      "ignored a command from someone who is not an operator",
    );
    return false;
  }

  const [rawName = "", ...words] = tokenize(line.slice(1));
  const runLog = log.child({ runId: randomUUID().slice(0, 8), cmd: rawName, sender: message.sender });
  const reply = (r: Parameters<CommandContext["reply"]>[0]): Promise<string> =>
    matrix.send(message.roomId, noticeContent(r));
  const command = deps.table.find(rawName);
  if (!command) {
    const guess = rawName ? deps.table.suggest(rawName) : undefined;
    const hint = guess ? `did you mean !${guess}? Try !help for the list` : "try !help";
    await reply(plain(rawName ? `unknown command !${rawName} — ${hint}` : `that is not a command — ${hint}`));
    await matrix.react(message.roomId, message.eventId, REACT_FAILED);
    return true;
  }
  const ctx: CommandContext = {
    sender: message.sender,
    roomId: message.roomId,
    eventId: message.eventId,
    viaVoice: message.viaVoice === true,
    log: runLog,
    reply,
    tell: (r) => matrix.send(message.roomId, mentionContent([message.sender], r)),
    startProgress: async (r) => {
      const progress = new ProgressMessage(matrix, message.roomId, runLog);
      await progress.post(r);
      return progress;
    },
  };
  try {
    const args = parseArgs(command, words);
    runLog.info("command started");
    await command.run(ctx, args);
    runLog.info("command finished");
    await matrix.react(message.roomId, message.eventId, REACT_OK);
  } catch (error) {
    if (error instanceof ReportedFailure) {
      runLog.info({ reason: error.message }, "command failed (reported)");
      await matrix.react(message.roomId, message.eventId, REACT_FAILED);
      return true;
    }
    const sentence = describeFailure(runLog, `!${command.name}`, error);
    await reply(plain(sentence));
    await matrix.react(message.roomId, message.eventId, REACT_FAILED);
  }
  return true;
}

/** Clients that quote a replied-to message put it first as "> " lines and a blank line. */
function stripReplyFallback(body: string): string {
  if (!body.startsWith("> ")) return body;
  const lines = body.split("\n");
  const firstOwn = lines.findIndex((l) => !l.startsWith(">"));
  return firstOwn < 0 ? "" : lines.slice(firstOwn).join("\n");
}
