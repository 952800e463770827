#!/usr/bin/env node
import { readEnv } from "../common/env";
import { createLogger } from "../common/log";
import { ConfigError, loadConfig, loadSecrets } from "../config/load";
import type { startBot as StartBot } from "../bot/app";
import { StartupError } from "../bot/homeserver";
import { buildRegistration, registrationYaml } from "../bot/registration";
import { BUNDLE_USAGE, runBundle } from "./bundle";
import { DOCTOR_USAGE, runDoctor } from "./doctor";
import { INIT_USAGE, runInit } from "./init";

const USAGE = `usage: meshpilot <command> --config FILE

commands:
  init           write a new config, fresh tokens and the registration (meshpilot init --help)
  start          run the bot (the appservice listener and everything behind it)
  registration   print the appservice registration YAML for the homeserver
  check-config   validate the config file and exit
  doctor         check the config and everything it points at, with a fix for each problem
  bundle         an install archive for a PC that cannot reach the hub's listener (meshpilot bundle --help)`;

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === "--help" || command === "-h" || command === "help") {
    console.log(USAGE);
    return command ? 0 : 2;
  }
  // init makes the config, so it takes its own flags rather than --config.
  if (command === "init") return rest.includes("--help") ? (console.log(INIT_USAGE), 0) : runInit(rest);
  // bundle reads its own flags (--config among them) and runs one journaled run, not the bot.
  if (command === "bundle") return rest.includes("--help") ? (console.log(BUNDLE_USAGE), 0) : runBundle(rest);
  const configIndex = rest.indexOf("--config");
  const configFile = configIndex >= 0 ? rest[configIndex + 1] : undefined;
  if (!["start", "registration", "check-config", "doctor"].includes(command)) {
    console.error(`meshpilot: unknown command "${command}"\n\n${USAGE}`);
    return 2;
  }
  // --help answers before anything is required, for every command.
  if (rest.includes("--help")) {
    console.log(command === "doctor" ? DOCTOR_USAGE : USAGE);
    return 0;
  }
  if (!configFile) {
    console.error(`meshpilot ${command}: --config FILE is required\n\n${USAGE}`);
    return 2;
  }
  const env = readEnv();
  if (command === "doctor") return (await runDoctor(configFile, { env })).code;
  try {
    const { config, warnings } = loadConfig(configFile);
    for (const warning of warnings) console.error(`warning: ${warning}`);
    const secrets = loadSecrets(config, env);
    switch (command) {
      case "check-config":
        console.log(`${configFile}: ok`);
        return 0;
      case "registration":
        process.stdout.write(registrationYaml(buildRegistration(config, secrets)));
        return 0;
      default:
        return await runBot(config, secrets, env.logLevel);
    }
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      return 1;
    }
    throw error;
  }
}

async function runBot(
  config: Parameters<typeof StartBot>[0],
  secrets: Parameters<typeof StartBot>[1],
  levelOverride: string | undefined,
): Promise<number> {
  const log = createLogger({
    level: levelOverride ?? config.log.level,
    pretty: process.stdout.isTTY === true,
  });
  // Last line of defence for promises the SDK leaves unhandled inside its HTTP handlers.
  process.on("unhandledRejection", (reason) => log.error({ err: reason }, "unhandled rejection"));
  // Signals are taken from the first moment: during the homeserver wait they end it at
  // once (a clean exit), once running they stop the bot.
  const stopping = new AbortController();
  const shutdown = (signal: NodeJS.Signals): void => {
    if (stopping.signal.aborted) return;
    log.info({ signal }, "shutting down");
    stopping.abort(new Error(`stopped by ${signal}`));
  };
  process.once("SIGTERM", shutdown);
  process.once("SIGINT", shutdown);
  let bot: Awaited<ReturnType<typeof StartBot>>;
  try {
    // Loaded only to run the bot: its SDK's dependencies print deprecation warnings at
    // import, which check-config, registration and init must not carry.
    const { startBot } = await import("../bot/app");
    bot = await startBot(config, secrets, log, { signal: stopping.signal });
  } catch (error) {
    if (stopping.signal.aborted) {
      log.info("stopped before meshpilot was running");
      return exitWithin(log, 0);
    }
    // One plain line, then a non-zero exit a supervisor (systemd Restart=on-failure) acts on.
    const sentence = `meshpilot could not start: ${error instanceof Error ? error.message : String(error)}`;
    if (error instanceof StartupError) log.fatal(sentence);
    else log.fatal({ err: error }, sentence);
    return exitWithin(log, 1);
  }
  if (!stopping.signal.aborted)
    await new Promise<void>((resolve) => stopping.signal.addEventListener("abort", () => resolve()));
  try {
    await bot.stop();
  } catch (error) {
    log.error({ err: error }, "error while shutting down");
  }
  log.info("stopped");
  return exitWithin(log, 0);
}

/**
 * Everything is closed; a connection or timer a library keeps must not keep the process
 * alive past this point (a supervisor would see a bot that does nothing, or kill it).
 */
function exitWithin(log: ReturnType<typeof createLogger>, code: number, graceMs = 1500): number {
  const grace = setTimeout(() => {
    const handles = (process as unknown as { _getActiveHandles(): object[] })
      ._getActiveHandles()
      .map((h) => h.constructor.name);
    log.warn({ handles, code }, "still open after stopping; exiting anyway");
    process.exit(code);
  }, graceMs);
  grace.unref();
  return code;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  },
);
