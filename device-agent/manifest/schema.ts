import { parseDocument } from "yaml";
import { z } from "zod";
import { CAPABILITY_NAMES } from "../../common/capabilities";
import type { CallClass } from "../../common/policy/types";

/**
 * The per-device manifest: what the agent may do on this PC. Parsed once, strictly (an
 * unknown key is an error here: a typo in a security policy must not pass silently).
 */
const capabilityName = z.enum(CAPABILITY_NAMES);
const callClass = z.enum(["read", "change", "run"] as const satisfies readonly CallClass[]);

export const manifestSchema = z.strictObject({
  version: z.literal(1),
  capabilities: z.strictObject({
    enabled: z.array(capabilityName),
    /** Capabilities that need an operator whatever the class of the call. */
    approval_required: z.array(capabilityName).default([]),
    /**
     * Classes of call (read: only reads; change: changes what the manifest names; run: runs
     * code the policy cannot see into) that need an operator. Absent: change and run.
     */
    approval_classes: z.array(callClass).optional(),
  }),
  paths_allowed: z.array(z.string().min(1)).min(1),
  /** Working directory for shell.exec / shell.eval when the call names none; checked like any path. */
  default_cwd: z.string().min(1),
  shell: z
    .strictObject({ binaries_allowed: z.array(z.string().min(1)).default([]) })
    .default({ binaries_allowed: [] }),
  limits: z
    .strictObject({
      timeout_ms: z.number().int().min(100).default(30_000),
      max_timeout_ms: z.number().int().min(100).default(600_000),
      output_bytes: z.number().int().min(256).default(65_536),
      read_bytes: z.number().int().min(256).default(1_048_576),
      write_bytes: z.number().int().min(256).default(1_048_576),
      list_entries: z.number().int().min(1).default(1000),
    })
    .default({
      timeout_ms: 30_000,
      max_timeout_ms: 600_000,
      output_bytes: 65_536,
      read_bytes: 1_048_576,
      write_bytes: 1_048_576,
      list_entries: 1000,
    }),
});

export type Manifest = z.infer<typeof manifestSchema>;
export type Limits = Manifest["limits"];

export class ManifestError extends Error {}

/** Parses manifest YAML; the error lists every problem with its key path. */
export function parseManifest(text: string, source = "manifest"): Manifest {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) throw new ManifestError(`${source}: ${doc.errors[0]!.message}`);
  const result = manifestSchema.safeParse(doc.toJS());
  if (!result.success) {
    const problems = result.error.issues.map(
      (issue) => `${issue.path.join(".") || "(top)"}: ${issue.message}`,
    );
    throw new ManifestError(`${source}: ${problems.join("; ")}`);
  }
  return result.data;
}
