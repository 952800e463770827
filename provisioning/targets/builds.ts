import { UserError } from "../../common/errors";

/** The device agent builds npm run build:agent makes: <os>-<arch>. */
export const SUPPORTED_TARGETS = ["linux-amd64", "linux-arm64", "windows-amd64", "darwin-arm64"] as const;

export function normaliseArch(arch: string): string {
  const a = arch.toLowerCase();
  if (a === "x86_64" || a === "amd64") return "amd64";
  if (a === "aarch64" || a === "arm64") return "arm64";
  return a;
}

/** The agent build for this target, or a sentence saying why there is none. */
export function agentTarget(os: string, arch: string): string {
  const target = `${os}-${arch}`;
  if ((SUPPORTED_TARGETS as readonly string[]).includes(target)) return target;
  throw new UserError(
    `there is no device agent for ${os}/${arch} — supported: ${SUPPORTED_TARGETS.join(", ")}; add this machine with --via ssh instead`,
  );
}
