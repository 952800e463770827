import { tmpdir } from "node:os";
import { capability, fromRun, notInstalled, type CapabilityContext, type CapabilityResult } from "./types";

/** docker.ps, docker.logs, docker.restart through the docker CLI (names are validated, never options). */

async function docker(ctx: CapabilityContext, args: string[]): Promise<CapabilityResult> {
  if (!ctx.which("docker")) return notInstalled("docker");
  return fromRun(await ctx.run(["docker", ...args], { cwd: tmpdir() }));
}

export const dockerPs = capability({
  name: "docker.ps",
  async execute(input, ctx) {
    const result = await docker(ctx, [
      "ps",
      "--no-trunc",
      "--format",
      "{{json .}}",
      ...(input.all ? ["--all"] : []),
    ]);
    if (!result.ok || !result.stdout) return result;
    const containers = result.stdout
      .split("\n")
      .filter((line) => line.trim().startsWith("{"))
      .flatMap((line) => {
        try {
          return [JSON.parse(line) as unknown];
        } catch {
          return []; // the last line of a truncated output
        }
      });
    return { ...result, data: { containers } };
  },
});

export const dockerLogs = capability({
  name: "docker.logs",
  execute: (input, ctx) => docker(ctx, ["logs", "--tail", String(input.tail ?? 200), "--", input.container]),
});

export const dockerRestart = capability({
  name: "docker.restart",
  execute: (input, ctx) => docker(ctx, ["restart", "--", input.container]),
});
