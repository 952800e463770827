import { openBunAuditDb } from "./bun-db";
import { runCli } from "./cli";

/** The executable's entry (bun build --compile): the CLI with bun:sqlite. */
runCli(process.argv.slice(2), openBunAuditDb, (text) => process.stdout.write(text)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`device-agent: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
