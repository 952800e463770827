import type { Logger } from "../../common/log";
import type { Reply } from "../reply";

/** How a command's arguments look; the parser and the help text both read it. */
export interface ArgSpec {
  positionals: readonly PositionalSpec[];
  flags: Readonly<Record<string, FlagSpec>>;
}

export interface PositionalSpec {
  name: string;
  required: boolean;
  /**
   * Only on the last positional: it takes every remaining word, joined by spaces, and a word
   * there that starts with -- is a word, not an option (free text, like !ask's question).
   */
  rest?: boolean;
}

export interface FlagSpec {
  /** `--via wg` takes a value; `--dry-run` does not. */
  takesValue: boolean;
  choices?: readonly string[];
  required?: boolean;
}

export interface ParsedArgs {
  positionals: Readonly<Record<string, string>>;
  flags: Readonly<Record<string, string | true>>;
}

/** What a command's handler is given: only this, so tests can hand it small fakes. */
export interface CommandContext {
  sender: string;
  roomId: string;
  eventId: string;
  /**
   * The command was spoken, not typed. Confirmation steps (a `--confirm CODE`) must refuse
   * it: a code heard by a recogniser is not proof that the operator read it.
   */
  viaVoice?: boolean;
  log: Logger;
  /** A notice in the room the command came from. */
  reply(reply: Reply): Promise<string>;
  /** An m.text in that room mentioning the sender: reaches the phone. */
  tell(reply: Reply): Promise<string>;
  /** A notice that is then edited in place (coalesced) as a job runs. */
  startProgress(reply: Reply): Promise<ProgressHandle>;
}

export interface ProgressHandle {
  update(reply: Reply): void;
  finish(reply: Reply): Promise<void>;
}

export interface Command {
  name: string;
  summary: string;
  usage: string;
  args: ArgSpec;
  run(ctx: CommandContext, args: ParsedArgs): Promise<void>;
}
