import type { RunOptions, Shell, ShellResult } from "../../../../provisioning/wg/shell";

/** One command the code under test ran, with what it sent on stdin (a stream is read to the end). */
export interface FakeCall {
  command: string;
  input: string | Buffer | undefined;
  options: RunOptions;
}

/** The answer to a command: anything left out is success with no output. */
export type Responder = (
  command: string,
  call: FakeCall,
) => Partial<ShellResult> | undefined | Promise<Partial<ShellResult> | undefined>;

/**
 * A Shell that runs nothing: it records every command and its input, and answers what
 * the responder says (exit 0 and no output by default).
 */
export class FakeShell implements Shell {
  readonly calls: FakeCall[] = [];

  constructor(
    readonly where: string,
    private readonly responder: Responder = () => undefined,
  ) {}

  get commands(): string[] {
    return this.calls.map((c) => c.command);
  }

  async run(command: string, options: RunOptions = {}): Promise<ShellResult> {
    const call: FakeCall = { command, input: await readAll(options.input), options };
    this.calls.push(call);
    const answer = (await this.responder(command, call)) ?? {};
    return { exitCode: 0, stdout: "", stderr: "", ...answer };
  }
}

/**
 * A responder from rules tried in order: a RegExp is tested against the command, a string
 * must occur in it; `view` may rewrite the command first (e.g. decode PowerShell).
 */
export function answers(
  rules: Array<[RegExp | string, Partial<ShellResult>]>,
  view: (command: string) => string = (c) => c,
): Responder {
  return (command) => {
    const seen = view(command);
    const hit = rules.find(([when]) => (typeof when === "string" ? seen.includes(when) : when.test(seen)));
    return hit?.[1];
  };
}

async function readAll(input: RunOptions["input"]): Promise<string | Buffer | undefined> {
  if (input === undefined || typeof input === "string" || Buffer.isBuffer(input)) return input;
  const chunks: Buffer[] = [];
  for await (const chunk of input as AsyncIterable<string | Buffer>) {
    chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
  }
  return Buffer.concat(chunks);
}
