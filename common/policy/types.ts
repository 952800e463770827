/**
 * The shared command policy: a positive grammar per program, used by the device agent
 * (shell.exec) and the bot's SSH-only backend (ssh_exec). Only exact spellings of the
 * forms listed are accepted; everything else is refused with a sentence. Every accepted
 * call carries a class computed from its exact argv. No Bun-only or Node-only code here:
 * the device agent and the bot both import it.
 */

/** read: reads only; change: changes state the manifest can name; run: executes code the manifest cannot see. */
export type CallClass = "read" | "change" | "run";

export const CALL_CLASSES: readonly CallClass[] = ["read", "change", "run"];

/** Which program table applies: GNU/Linux userland, macOS (BSD) userland, or Windows. */
export type PolicyFlavor = "linux" | "darwin" | "windows";

/** A word of argv that names a file or directory, to be checked (and resolved) by the runner. */
export interface PathWord {
  /** Index in argv. */
  index: number;
  /** The path as given (may be relative: the runner resolves it against the call's cwd). */
  value: string;
  /** Text before the path inside the same word ("--file=" for "--file=/x"; "" when the word is the path). */
  prefix: string;
  /** What the program does with it: "read" a file or list a directory. */
  access: "read";
}

export type ArgvVerdict =
  | {
      ok: true;
      /** The class of this exact argv. */
      callClass: CallClass;
      /** The form matched, as shown to the operator: "ls [-l|-a|…] [PATH…]". */
      form: string;
      /** Every path-typed word (positional or option value); empty when there is none. */
      paths: PathWord[];
      /**
       * True when the program, given no path, works on its current directory (ls, du, find
       * with no start point): the runner must check the cwd like a path.
       */
      usesCwd: boolean;
      /** One sentence for the approval card: "ls only reads", "systemctl restart changes a service's state". */
      reason?: string;
    }
  | { ok: false; reason: string };

/** Why a call needs (or does not need) an operator, shown on the approval card. */
export interface ClassVerdict {
  callClass: CallClass;
  /** One sentence: "ls only reads", "shell.eval runs a shell command line the policy cannot see into". */
  reason: string;
}
