import { createHash } from "node:crypto";

/**
 * The audit hash chain, shared by the device agent and the bot's SSH backend. Every call
 * is two chained entries: `call` (written before anything runs — no entry, no run) and
 * `result` (written after). Each entry's hash is SHA-256 over the previous hash and the
 * entry's canonical form, so an edited, deleted, inserted or reordered entry breaks the
 * chain; a cut tail is caught against the head the bot remembered.
 */
export const GENESIS_HASH = "0".repeat(64);

export type EntryKind = "call" | "result";

/** The hashed fields of an entry, as stored. */
export interface AuditFields {
  id: number;
  kind: EntryKind;
  /** For a result: the id of its call entry. For a call: its own id. */
  call_id: number;
  ts: number;
  capability: string;
  /** Canonical JSON of the arguments. */
  args: string;
  caller: string;
  exit_code: number | null;
  bytes: number | null;
  duration_ms: number | null;
  /** Why the call was refused (policy, approval, validation); null when it ran. */
  refusal: string | null;
  error: string | null;
  /**
   * The bot's reference for the call (`call_ref` of POST /call), on both its call and its
   * result entry, so the bot can match the device's entries to the calls it sent. Null
   * when none was given (older bots, the SSH backend). Entries read from an older agent
   * may lack the field: treated as null.
   */
  ref?: string | null;
}

export interface AuditEntry extends AuditFields {
  prev_hash: string;
  hash: string;
}

export interface ChainHead {
  count: number;
  hash: string;
}

export type VerifyResult =
  | { ok: true; count: number; head: string }
  | { ok: false; count: number; firstBrokenId: number; reason: string };

const FIELD_ORDER: readonly (keyof AuditFields)[] = [
  "id",
  "kind",
  "call_id",
  "ts",
  "capability",
  "args",
  "caller",
  "exit_code",
  "bytes",
  "duration_ms",
  "refusal",
  "error",
];

/** Every stored column of an entry, in order: the hashed fields, the links, and `ref`. */
export const AUDIT_ENTRY_COLUMNS = [
  ...FIELD_ORDER,
  "prev_hash",
  "hash",
  "ref",
] as const satisfies readonly (keyof AuditEntry)[];

/** Stable JSON: keys sorted at every level, so the same value always hashes the same. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value ?? null);
}

/**
 * The hashed form of an entry. `ref` is appended only when set, so entries written before
 * it existed (and entries without one) hash exactly as they always did: old chains verify.
 */
export function canonicalEntry(fields: AuditFields): string {
  const values: unknown[] = FIELD_ORDER.map((key) => fields[key]);
  if (fields.ref !== undefined && fields.ref !== null) values.push(fields.ref);
  return JSON.stringify(values);
}

/** What a `ref` may look like: the bot's call reference, safe in logs and URLs. */
export const CALL_REF_PATTERN = /^[A-Za-z0-9_-]{8,64}$/;

export function entryHash(prevHash: string, fields: AuditFields): string {
  return createHash("sha256").update(prevHash).update("\n").update(canonicalEntry(fields)).digest("hex");
}

/** Verifies entries in id order from the first; reports the first id that does not fit. */
export function verifyEntries(entries: Iterable<AuditEntry>): VerifyResult {
  let prev = GENESIS_HASH;
  let expectedId = 1;
  let count = 0;
  for (const entry of entries) {
    if (entry.id !== expectedId) {
      return {
        ok: false,
        count,
        firstBrokenId: Math.min(entry.id, expectedId),
        reason: `expected entry ${expectedId}, found ${entry.id}`,
      };
    }
    if (entry.prev_hash !== prev) {
      return { ok: false, count, firstBrokenId: entry.id, reason: "does not link to the previous entry" };
    }
    if (entryHash(prev, entry) !== entry.hash) {
      return { ok: false, count, firstBrokenId: entry.id, reason: "content does not match its hash" };
    }
    prev = entry.hash;
    expectedId++;
    count++;
  }
  return { ok: true, count, head: prev };
}

/**
 * Compares a chain with the head remembered from an earlier look. A chain that verifies
 * on its own can still have been cut short or rewritten from some entry on: the entry
 * at the remembered count must still carry the remembered hash.
 */
export function checkAgainstRemembered(
  remembered: ChainHead | undefined,
  current: VerifyResult,
  hashAt: (id: number) => string | undefined,
): VerifyResult {
  if (!current.ok || !remembered || remembered.count === 0) return current;
  if (current.count < remembered.count) {
    return {
      ok: false,
      count: current.count,
      firstBrokenId: current.count + 1,
      reason: `the chain has ${current.count} entries, fewer than the ${remembered.count} seen before (cut short)`,
    };
  }
  if (hashAt(remembered.count) !== remembered.hash) {
    return {
      ok: false,
      count: current.count,
      firstBrokenId: remembered.count,
      reason: `entry ${remembered.count} no longer has the hash seen before (rewritten)`,
    };
  }
  return current;
}
