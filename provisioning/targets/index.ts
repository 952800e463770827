import { darwinTargetFor } from "./darwin";
import { linuxTarget } from "./linux";
import type { TargetAdapter, TargetFacts, TargetOs } from "./types";
import { windowsTarget } from "./windows";

/** One adapter per OS; macOS's depends on the arch (Homebrew's prefix). */
const ADAPTERS: Readonly<Record<TargetOs, (arch: string | undefined) => TargetAdapter>> = {
  linux: () => linuxTarget,
  darwin: darwinTargetFor,
  windows: () => windowsTarget,
};

const OSES = Object.keys(ADAPTERS) as TargetOs[];

/** The adapter for an OS (and, where it matters, its arch), or undefined when there is none. */
export function adapterFor(os: string, arch?: string): TargetAdapter | undefined {
  return (OSES as string[]).includes(os) ? ADAPTERS[os as TargetOs](arch) : undefined;
}

/**
 * The adapter for what was detected (or forced with --os/--arch), or one sentence saying
 * why this device cannot be enrolled over SSH and what to do instead.
 */
export function pickAdapter(
  facts: Partial<TargetFacts> & { os: string },
  device: string,
): { adapter: TargetAdapter } | { refusal: string } {
  const adapter = adapterFor(facts.os, facts.arch);
  if (!adapter) {
    const what = facts.os ? `runs ${facts.osPretty ?? facts.os}` : "did not answer like Unix or Windows";
    return {
      refusal: `${device} ${what}, and meshpilot has no target adapter for it (${OSES.join(", ")}) — add it with --via ssh instead`,
    };
  }
  const refusal = adapter.refusal(facts, device);
  return refusal ? { refusal } : { adapter };
}
