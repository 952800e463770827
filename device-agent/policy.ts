import type { CapabilityName } from "../common/capabilities";
import { DEFAULT_APPROVAL_CLASSES, approvalNeeded, capabilityClass } from "../common/policy";
import type { CallClass, ClassVerdict } from "../common/policy/types";
import { binaryAllowed, pathAllowed } from "./manifest/paths";
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
    | "binary_not_allowed"
    /** git: the repository's config (or its .git layout) could make git run something. */
    | "unsafe_repository";
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

  /** Classes that need an operator on this device (the manifest's, else change and run). */
  get approvalClasses(): readonly CallClass[] {
    return this.manifest.capabilities.approval_classes ?? DEFAULT_APPROVAL_CLASSES;
  }

  isEnabled(name: CapabilityName): boolean {
    return this.manifest.capabilities.enabled.includes(name);
  }

  /** Named in approval_required: needs an operator whatever the class of the call. */
  needsApproval(name: CapabilityName): boolean {
    return this.manifest.capabilities.approval_required.includes(name);
  }

  /**
   * The class of one exact call (read, change, run) with its reason, from the shared
   * policy; a RefusalError when the policy refuses it outright (a program not allowed, an
   * argv outside the program's grammar).
   */
  classify(name: CapabilityName, input: unknown): ClassVerdict {
    const programs = this.manifest.shell.binaries_allowed;
    const verdict = capabilityClass(this.platform.os, programs, name, input);
    if ("refused" in verdict) {
      const argv0 = name === "shell.exec" ? firstWord(input) : undefined;
      const unknownProgram = argv0 !== undefined && !binaryAllowed(this.platform.pathFlavor, argv0, programs);
      throw new RefusalError({
        code: unknownProgram ? "binary_not_allowed" : "invalid_input",
        message: verdict.refused,
      });
    }
    return verdict;
  }

  /** Whether this call, of this class, needs an operator's approval here. */
  approvalNeeded(verdict: ClassVerdict, name: CapabilityName): boolean {
    return approvalNeeded(verdict, name, this.approvalClasses, this.manifest.capabilities.approval_required);
  }

  /**
   * Refuses a real location (already resolved from an open descriptor) outside
   * paths_allowed. `requested` is what the call named, for the sentence.
   */
  checkReal(requested: string, real: string): void {
    if (pathAllowed(this.platform.pathFlavor, real, this.manifest.paths_allowed)) return;
    const where = real === requested ? "" : ` (really ${real})`;
    throw new RefusalError({
      code: "path_not_allowed",
      message: `${requested}${where} is outside the allowed paths: ${this.manifest.paths_allowed.join(", ")}`,
    });
  }

  /** A call's time limit: what it asked for, else the default, never above the maximum. */
  timeout(requested: number | undefined): number {
    return Math.min(requested ?? this.limits.timeout_ms, this.limits.max_timeout_ms);
  }
}

function firstWord(input: unknown): string | undefined {
  const argv = (input as { argv?: unknown } | null)?.argv;
  return Array.isArray(argv) && typeof argv[0] === "string" ? argv[0] : undefined;
}
