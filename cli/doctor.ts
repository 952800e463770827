import { execFile } from "node:child_process";
import type { Env } from "../common/env";
import { checkConfig } from "./checks/config";
import { CHECKS } from "./checks/index";
import type { Check, CheckResult, CommandResult, DoctorContext } from "./checks/types";

export const DOCTOR_USAGE = `usage: meshpilot doctor --config FILE

Checks the config, the homeserver and the appservice registration, the hub's WireGuard
interface, the SSH key, the device agent build, the model and STT services and the state
directory. Each line is ✓ or ✗ with a fix; the exit code is 1 if anything is ✗.`;

export interface DoctorOptions {
  env: Env;
  fetch?: typeof fetch;
  run?: DoctorContext["run"];
  timeoutMs?: number;
  checks?: readonly Check[];
  print?: (line: string) => void;
}

/** `meshpilot doctor`: every check runs (one failure does not hide the next), in order. */
export async function runDoctor(
  configFile: string,
  options: DoctorOptions,
): Promise<{ code: number; results: CheckResult[] }> {
  const print = options.print ?? ((line: string) => console.log(line));
  const first = checkConfig(configFile, options.env);
  const results: CheckResult[] = [first.result];
  print(formatResult(first.result));
  for (const warning of first.warnings) print(`    warning: ${warning}`);
  if (first.loaded) {
    const earlier = new Map<string, CheckResult>();
    const context: DoctorContext = {
      configFile,
      config: first.loaded.config,
      secrets: first.loaded.secrets,
      fetch: options.fetch ?? fetch,
      run: options.run ?? runCommand,
      timeoutMs: options.timeoutMs ?? 5000,
      earlier,
    };
    for (const check of options.checks ?? CHECKS) {
      if (!check.applies(context)) continue;
      const result = await check.run(context);
      earlier.set(check.label, result);
      results.push(result);
      print(formatResult(result));
    }
  }
  const failed = results.filter((r) => !r.ok).length;
  print(failed ? `\n${failed} problem(s) found.` : "\nAll checks passed.");
  return { code: failed ? 1 : 0, results };
}

export function formatResult(result: CheckResult): string {
  const line = `${result.ok ? "✓" : "✗"} ${result.label}${result.detail ? ` — ${result.detail}` : ""}`;
  return result.ok || !result.hint ? line : `${line}\n    fix: ${result.hint}`;
}

/** A command's outcome; rejects only when it cannot be started (not installed). */
function runCommand(file: string, args: readonly string[]): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: 10_000 }, (error, stdout, stderr) => {
      if (error && (error as NodeJS.ErrnoException).code === "ENOENT")
        return reject(new Error(`${file}: not installed`));
      const code = error ? (typeof error.code === "number" ? error.code : null) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}
