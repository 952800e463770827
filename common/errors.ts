import { randomBytes } from "node:crypto";
import type { Logger } from "./log";

/**
 * An error whose message is a sentence safe to show the operator: what was wrong and
 * what to do. Anything that is not a UserError is an internal error: logged in full,
 * shown only as a short reference id.
 */
export class UserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UserError";
  }
}

/**
 * A failure the command has already told the operator about in its own words (e.g. the
 * outcome of a provisioning run): the dispatcher only marks the command ❌.
 */
export class ReportedFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ReportedFailure";
  }
}

export function isUserError(error: unknown): error is UserError {
  return error instanceof UserError;
}

/** A short id that ties the operator's "internal error, reference 7f3a" to the log line. */
export function newReference(): string {
  return randomBytes(2).toString("hex");
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The errno code (ENOENT, ECONNREFUSED…) when there is one, else the message. */
export function errorCode(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === "string" ? code : errorMessage(error);
}

/** Logs a failure and returns what the operator may read: a UserError's sentence, or a reference. */
export function describeFailure(log: Logger, label: string, error: unknown): string {
  if (isUserError(error)) {
    log.info({ label, reason: error.message }, "refused");
    return error.message;
  }
  const reference = newReference();
  log.error({ err: error, label, reference }, `internal error: ${errorMessage(error)}`);
  return `internal error, reference ${reference} — the bot's log has the details`;
}
