import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline/promises";
import { readEnv } from "../common/env";
import { isUserError } from "../common/errors";
import { ConfigError } from "../config/load";
import { FlagError, parseFlags } from "./flags";
import { gatherAnswers, INIT_FLAGS, type Ask } from "./init/answers";
import { writeInitFiles } from "./init/write";

export const INIT_USAGE = `usage: meshpilot init [--out DIR] [--yes] [--force] [flags]

Asks for what it needs (or takes it from flags; without a terminal, or with --yes,
nothing is asked) and writes DIR/meshpilot.yaml, fresh as_token and hs_token files,
and DIR/registration.yaml for the homeserver.

flags: --homeserver-url URL --server-name NAME --operator @you:NAME (repeatable)
       --appservice-url URL --state-dir DIR --ssh-key FILE
       --endpoint HOST:PORT --hub-interface IF --subnet CIDR --hub-address IP
       --model NAME --llm-key-file FILE --stt-url URL --out DIR`;

/** `meshpilot init`: exit code 0 when the files are written and the config loads. */
export async function runInit(argv: readonly string[]): Promise<number> {
  try {
    const flags = parseFlags(argv, INIT_FLAGS);
    const interactive = process.stdin.isTTY === true && !flags.switches.has("yes");
    const answers = interactive
      ? await askOnTerminal((ask) => gatherAnswers(flags, ask))
      : await gatherAnswers(flags);
    const result = writeInitFiles(answers, {
      force: flags.switches.has("force"),
      agentDir: join(packageRoot(), "dist", "agent"),
      env: readEnv(),
    });
    for (const warning of result.warnings) console.error(`warning: ${warning}`);
    console.log(`Wrote ${result.configPath} (tokens next to it, mode 0600).\n`);
    // The registration holds both tokens: say where it is, never print it.
    console.log(`Appservice registration (it holds the tokens): ${result.registrationPath} (mode 0600)\n`);
    console.log("Add these lines to Synapse's homeserver.yaml, then restart Synapse:\n");
    console.log(homeserverLines(result.registrationPath));
    console.log(`Then check everything with: meshpilot doctor --config ${result.configPath}`);
    return 0;
  } catch (error) {
    if (error instanceof FlagError) {
      console.error(`meshpilot init: ${error.message}\n\n${INIT_USAGE}`);
      return 2;
    }
    if (error instanceof ConfigError || isUserError(error)) {
      console.error(`meshpilot init: ${error.message}`);
      return 1;
    }
    throw error;
  }
}

/** The exact homeserver.yaml stanza; Synapse must be able to read the file (its user, or root). */
export function homeserverLines(registrationPath: string): string {
  return `app_service_config_files:\n  - ${registrationPath}\n`;
}

async function askOnTerminal<T>(body: (ask: Ask) => Promise<T>): Promise<T> {
  const terminal = createInterface({ input: process.stdin, output: process.stdout });
  try {
    return await body((prompt, fallback) =>
      terminal.question(fallback ? `${prompt} [${fallback}]: ` : `${prompt}: `),
    );
  } finally {
    terminal.close();
  }
}

/** The installed package's root (where `npm run build:agent` puts dist/agent), from src or dist. */
function packageRoot(): string {
  let dir = __dirname;
  while (dirname(dir) !== dir) {
    const manifest = join(dir, "package.json");
    if (
      existsSync(manifest) &&
      (JSON.parse(readFileSync(manifest, "utf8")) as { name?: string }).name === "meshpilot"
    )
      return dir;
    dir = dirname(dir);
  }
  return process.cwd();
}
