import { createHash } from "node:crypto";
import { z } from "zod";
import { canonicalJson, type AuditEntry } from "../../common/audit/chain";
import { isCapabilityName, parseCapabilityInput, type CapabilityInput } from "../../common/capabilities";
import type { AgentReply } from "./agent-http";

/**
 * What the bot accepts from a device agent, checked field by field: a device is a machine
 * the bot does not control, so its answers are parsed, never cast. A body that does not
 * fit is an error with one sentence, never half-used.
 */
export class UnexpectedShapeError extends Error {
  constructor(what: string, detail: string) {
    super(`the device agent answered in an unexpected shape (${what}: ${detail})`);
    this.name = "UnexpectedShapeError";
  }
}

/** A signed request to one device agent: agent-http.ts bound to its URL and secret. */
export type AgentTransport = (
  method: "GET" | "POST",
  path: string,
  payload: unknown,
  timeoutMs: number,
) => Promise<AgentReply>;

const hash = z.string().regex(/^[0-9a-f]{64}$/, "must be 64 hex digits");
const count = z.number().int().min(0);
const id = z.number().int().min(1);
const smallInt = z.number().int().nullable();

export const chainHeadSchema = z.object({ count, hash });

/** GET /health (extra fields — uptime, os — are allowed and dropped; version is kept for the panel). */
export const healthReplySchema = z.object({
  capabilities: count,
  audit: chainHeadSchema,
  version: z.string().max(200).optional(),
});
export type HealthReply = z.infer<typeof healthReplySchema>;

/** One entry of the device's chain, every hashed field typed; `ref` absent on older agents = null. Fields the hash does not cover are dropped. */
export const auditEntrySchema = z.object({
  id,
  kind: z.enum(["call", "result"]),
  call_id: id,
  ts: z.number().int().min(0),
  capability: z.string().max(256),
  args: z.string(),
  caller: z.string().max(1024),
  exit_code: smallInt,
  bytes: smallInt,
  duration_ms: smallInt,
  refusal: z.string().nullable(),
  error: z.string().nullable(),
  prev_hash: hash,
  hash,
  ref: z
    .string()
    .regex(/^[A-Za-z0-9_-]{8,64}$/)
    .nullable()
    .optional()
    .transform((ref) => ref ?? null),
});
export type WireAuditEntry = AuditEntry & { ref: string | null };

/** GET /audit/entries?after=N&limit=M. */
export const auditPageSchema = z.object({
  entries: z.array(auditEntrySchema).max(1000),
  next_after: z.number().int().min(0).nullable(),
});
export type AuditPage = z.infer<typeof auditPageSchema>;

/** POST /call: what the device answered, as the bot's own record of the call needs it. */
export const callReplySchema = z.union([
  z.object({
    status: z.literal("done"),
    auditId: id,
    result: z.record(z.string(), z.unknown()),
    auditResultWritten: z.boolean().optional(),
  }),
  z.object({
    status: z.literal("refused"),
    auditId: id,
    refusal: z.object({ code: z.string(), message: z.string() }),
  }),
  z.object({ status: z.literal("audit_unavailable"), error: z.string() }),
  /** 400, 401, 404, 413, 500: the agent's own error bodies. */
  z.object({ error: z.string() }),
]);
export type CallReply = z.infer<typeof callReplySchema>;

/** Parses a body with a schema or throws UnexpectedShapeError naming the first wrong field. */
export function parseWire<T>(schema: z.ZodType<T>, body: unknown, what: string): T {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const where = issue && issue.path.length > 0 ? issue.path.join(".") : "body";
  throw new UnexpectedShapeError(what, `${where}: ${issue?.message ?? "invalid"}`);
}

/** The envelope of POST /call as the bot's provider builds it (checked before it is recorded). */
export const outgoingCallSchema = z.object({
  capability: z.string().min(1),
  args: z.unknown(),
  caller: z.string().min(1),
  approved_by: z.string().min(1).optional(),
});
export type OutgoingCall = z.infer<typeof outgoingCallSchema>;

/**
 * The caller as the device records it: device-agent/invoke.ts appends who approved.
 * Comparable exactly.
 */
export function recordedCaller(call: Pick<OutgoingCall, "caller" | "approved_by">): string {
  return call.approved_by ? `${call.caller} (approved by ${call.approved_by})` : call.caller;
}

/**
 * The arguments as the device records them, so the bot's record and the device's entry
 * compare as equal strings. What is comparable, by the device's rules (device-agent/invoke.ts):
 * - arguments that fit the capability's schema are recorded as parsed: every schema is a
 *   strict object without defaults or transforms, so that is the canonical JSON of what
 *   was sent (after the JSON round trip of the wire);
 * - fs.write is recorded without its content: path, mode (default "create"), the content's
 *   byte count and SHA-256 (fs.ts auditArgs) — the bot computes the same, and so never
 *   keeps the content either;
 * - arguments that do not fit the schema are recorded raw (canonical JSON);
 * - an unknown capability is recorded with `{}` (the provider only sends known ones).
 */
export function recordedArgs(capability: string, args: unknown): string {
  if (!isCapabilityName(capability)) return "{}";
  const sent: unknown = JSON.parse(JSON.stringify(args ?? {}));
  const parsed = parseCapabilityInput(capability, sent);
  if (!parsed.ok) return canonicalJson(sent);
  if (capability === "fs.write") {
    const input = parsed.value as CapabilityInput<"fs.write">;
    const content = Buffer.from(input.content, input.encoding ?? "utf8");
    return canonicalJson({
      path: input.path,
      mode: input.mode ?? "create",
      bytes: content.length,
      sha256: createHash("sha256").update(content).digest("hex"),
    });
  }
  return canonicalJson(parsed.value);
}
