import type { CapabilityName } from "../common/capabilities";
import { binaryAllowed, pathAllowed } from "./manifest/paths";
import { PathError, resolveRealPath } from "./manifest/resolve";
import type { Limits, Manifest } from "./manifest/schema";
import type { Platform } from "./platform";

/** Why a call was not run: a stable code for the bot, a sentence for the operator. */
export interface Refusal {
  code:
    | "unknown_capability"
    | "capability_disabled"
    | "approval_required"
    | "invalid_input"
    | "path_not_allowed"
    | "binary_not_allowed";
  message: string;
}

/** Thrown by a capability when the policy refuses something mid-way (re-checked at run time). */
export class RefusalError extends Error {
  constructor(readonly refusal: Refusal) {
    super(refusal.message);
  }
}

/** The manifest's rules, answered. */
export class Policy {
  constructor(
    readonly manifest: Manifest,
    private readonly platform: Platform,
  ) {}

  get limits(): Limits {
    return this.manifest.limits;
  }

  isEnabled(name: CapabilityName): boolean {
    return this.manifest.capabilities.enabled.includes(name);
  }

  needsApproval(name: CapabilityName): boolean {
    return this.manifest.capabilities.approval_required.includes(name);
  }

  /** The real location of a path when the manifest allows it; a RefusalError otherwise. */
  async allowedPath(requested: string): Promise<string> {
    let real: string;
    try {
      real = await resolveRealPath(requested);
    } catch (error) {
      const why = error instanceof PathError ? error.message : "it cannot be resolved";
      throw new RefusalError({ code: "path_not_allowed", message: `${requested}: ${why}` });
    }
    if (!pathAllowed(this.platform.pathFlavor, real, this.manifest.paths_allowed)) {
      const where = real === requested ? "" : ` (really ${real})`;
      throw new RefusalError({
        code: "path_not_allowed",
        message: `${requested}${where} is outside the allowed paths: ${this.manifest.paths_allowed.join(", ")}`,
      });
    }
    return real;
  }

  /** The working directory for a command: the requested one or default_cwd, checked. */
  cwd(requested: string | undefined): Promise<string> {
    return this.allowedPath(requested ?? this.manifest.default_cwd);
  }

  checkBinary(argv0: string): void {
    if (!binaryAllowed(this.platform.pathFlavor, argv0, this.manifest.shell.binaries_allowed)) {
      throw new RefusalError({
        code: "binary_not_allowed",
        message: `${argv0} is not in shell.binaries_allowed (${this.manifest.shell.binaries_allowed.join(", ") || "empty"})`,
      });
    }
  }

  /** A call's time limit: what it asked for, else the default, never above the maximum. */
  timeout(requested: number | undefined): number {
    return Math.min(requested ?? this.limits.timeout_ms, this.limits.max_timeout_ms);
  }
}
