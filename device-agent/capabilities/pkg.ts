import { tmpdir } from "node:os";
import { capability, fromRun, type CapabilityResult } from "./types";

/** pkg.install with whichever package manager the OS has (see platform/*.ts). */
export const pkgInstall = capability({
  name: "pkg.install",
  async execute(input, ctx): Promise<CapabilityResult> {
    const plan = ctx.platform.installPlan(input.packages, ctx.which);
    if ("error" in plan) return { ok: false, exitCode: null, truncated: false, bytes: 0, error: plan.error };
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive", HOMEBREW_NO_AUTO_UPDATE: "1" };
    return fromRun(
      await ctx.run(plan.argv, { cwd: tmpdir(), env, timeoutMs: ctx.policy.limits.max_timeout_ms }),
      {
        manager: plan.argv[0] === "sudo" ? plan.argv[3] : plan.argv[0],
      },
    );
  },
});
