import { randomBytes } from "node:crypto";
import { GENESIS_HASH, entryHash } from "../../common/audit/chain";
import type {
  CallReplyKind,
  DeviceAuditStore,
  HeldEntry,
  SentCall,
  SyncRecord,
} from "../../state/device-audit";
import {
  UnexpectedShapeError,
  auditPageSchema,
  parseWire,
  recordedArgs,
  recordedCaller,
  type AgentTransport,
  type OutgoingCall,
} from "./wire";

/**
 * The bot's own copy of each WireGuard device's audit chain (Crosby & Wallach: tamper
 * evidence needs an outside copy). A device can rewrite its history and answer "verified"
 * to anyone who asks it; so the bot never asks. It fetches the entries after the last one
 * it holds, checks every hash and link itself, checks that the entry it holds last is still
 * there with the same hash (cut short, rewritten), and matches every entry against the
 * calls it sent: each call entry carries the `call_ref` the bot sent, with the same
 * capability, caller and arguments; a call answered done has exactly one call and one
 * result entry, a refused one exactly one call entry. Anything else is corrupted, and the
 * copy keeps only what verified, up to the first bad entry.
 */
export type MirrorVerdict =
  { ok: true; count: number; head: string } | { ok: false; firstBrokenId: number; reason: string };

export interface AuditMirrorOptions {
  store: DeviceAuditStore;
  now?: () => number;
  /** Entries per GET /audit/entries (the agent caps it at 1000). */
  pageSize?: number;
  /** Per request of a sync. */
  timeoutMs?: number;
}

/** A `call_ref`: 16 random bytes, base64url (22 characters of [A-Za-z0-9_-]). */
export function newCallRef(): string {
  return randomBytes(16).toString("base64url");
}

interface Judged {
  accepted: HeldEntry[];
  settled: string[];
  failure?: { firstBrokenId: number; reason: string };
}

export class AuditMirror {
  private readonly locks = new Map<string, Promise<unknown>>();
  private readonly now: () => number;

  constructor(private readonly options: AuditMirrorOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Records a call before it is sent; returns the ref to send with it. */
  recordSent(device: string, call: OutgoingCall, ref: string = newCallRef()): string {
    this.options.store.recordSent({
      device,
      ref,
      capability: call.capability,
      args: recordedArgs(call.capability, call.args),
      caller: recordedCaller(call),
      sent_at: this.now(),
    });
    return ref;
  }

  recordReply(
    device: string,
    ref: string,
    reply: CallReplyKind,
    result?: { exitCode: number | null; bytes: number | null },
  ): void {
    this.options.store.recordReply(device, ref, reply, this.now(), result);
  }

  /** Fetches, checks and stores what the device wrote since the last sync; one at a time per device. */
  sync(device: string, transport: AgentTransport): Promise<MirrorVerdict> {
    const before = this.locks.get(device) ?? Promise.resolve();
    const run = before.catch(() => undefined).then(() => this.syncNow(device, transport));
    this.locks.set(device, run);
    return run.finally(() => {
      if (this.locks.get(device) === run) this.locks.delete(device);
    });
  }

  /** The last verdict and when it was reached; undefined before the first sync. */
  lastSync(device: string): SyncRecord | undefined {
    return this.options.store.lastSync(device);
  }

  recentCalls(device: string, n: number): Array<HeldEntry & { result?: HeldEntry }> {
    return this.options.store.recentCalls(device, n);
  }

  /** The bot's copy: its last entry (count = its id). */
  head(device: string): { count: number; hash: string } {
    const last = this.options.store.last(device);
    return last ? { count: last.id, hash: last.hash } : { count: 0, hash: GENESIS_HASH };
  }

  lastCallAt(device: string): number | null {
    return this.options.store.lastCallAt(device);
  }

  /** A revoked device's copy is kept under another name; the name starts afresh. */
  retire(device: string): void {
    this.options.store.retire(device, this.now());
  }

  /** At start-up: calls an earlier run sent but never saw answered are judged as unknown. */
  abandonInFlight(): number {
    return this.options.store.abandonInFlight();
  }

  private async syncNow(device: string, transport: AgentTransport): Promise<MirrorVerdict> {
    const store = this.options.store;
    // Judged only if answered before the fetch began: their entries were written before the answer.
    const answered = store.answeredUnsettled(device);
    const held = store.last(device);
    // A device's history from before the bot kept a copy has no refs: adopted once, as it is.
    const adoptable =
      held === undefined && store.lastSync(device) === undefined && store.sentCount(device) === 0;
    const fetched = await this.fetchAfter(transport, held ? held.id - 1 : 0);
    const lost = held && !(fetched[0]?.id === held.id && fetched[0].hash === held.hash);
    const judged: Judged = lost
      ? { accepted: [], settled: [], failure: await this.firstDifference(device, transport, held.id) }
      : this.judge(device, held, fetched, answered, adoptable);
    store.append(device, judged.accepted);
    store.settle(device, judged.settled);
    const failure = judged.failure;
    store.recordSync({
      device,
      synced_at: this.now(),
      ok: failure ? 0 : 1,
      first_broken_id: failure?.firstBrokenId ?? null,
      reason: failure?.reason ?? null,
    });
    if (failure) return { ok: false, ...failure };
    const head = this.head(device);
    return { ok: true, count: head.count, head: head.hash };
  }

  /** Pages through GET /audit/entries from `start`, until the device's head (or past `until`). */
  private async fetchAfter(transport: AgentTransport, start: number, until = Infinity): Promise<HeldEntry[]> {
    const all: HeldEntry[] = [];
    let after = start;
    for (;;) {
      const path = `/audit/entries?after=${after}&limit=${this.options.pageSize ?? 500}`;
      const reply = await transport("GET", path, undefined, this.options.timeoutMs ?? 10_000);
      if (reply.status !== 200) throw new Error(`GET /audit/entries: HTTP ${reply.status}`);
      const page = parseWire(auditPageSchema, reply.body, "GET /audit/entries");
      all.push(...page.entries);
      if (page.next_after === null || page.next_after >= until) return all;
      if (page.entries.length === 0 || page.next_after <= after)
        throw new UnexpectedShapeError("GET /audit/entries", "next_after does not move forward");
      after = page.next_after;
    }
  }

  /**
   * The entry the bot holds last is gone or changed: walks the device's chain up to it and
   * names the first entry that is missing (cut short, deleted) or has another hash (rewritten).
   */
  private async firstDifference(
    device: string,
    transport: AgentTransport,
    heldId: number,
  ): Promise<{ firstBrokenId: number; reason: string }> {
    let expected = 1;
    for (const entry of await this.fetchAfter(transport, 0, heldId)) {
      if (entry.id > heldId) break;
      if (entry.id !== expected) break;
      if (entry.hash !== this.options.store.hashAt(device, entry.id))
        return {
          firstBrokenId: entry.id,
          reason: `entry ${entry.id} no longer has the hash the bot stored (rewritten)`,
        };
      expected++;
    }
    // (Everything matched on this second look: the device changed between two requests.)
    expected = Math.min(expected, heldId);
    return {
      firstBrokenId: expected,
      reason: `the device's audit no longer has entry ${expected}, which the bot holds (cut short or deleted)`,
    };
  }

  private judge(
    device: string,
    held: HeldEntry | undefined,
    fetched: HeldEntry[],
    answered: SentCall[],
    adoptable: boolean,
  ): Judged {
    const accepted: HeldEntry[] = [];
    const fail = (firstBrokenId: number, reason: string): Judged => ({
      accepted: accepted.filter((e) => e.id < firstBrokenId),
      settled: [],
      failure: { firstBrokenId, reason },
    });
    let entries = fetched;
    if (held) {
      // syncNow checked that the device still has the bot's last entry, with its hash.
      entries = fetched.slice(1);
    }
    let prev = held?.hash ?? GENESIS_HASH;
    let expected = (held?.id ?? 0) + 1;
    const batch = new Map<string, HeldEntry[]>();
    const withRef = (ref: string): HeldEntry[] => [
      ...this.options.store.entriesWithRef(device, ref),
      ...(batch.get(ref) ?? []),
    ];
    for (const entry of entries) {
      if (entry.id !== expected)
        return fail(expected, `the device's audit goes from entry ${expected - 1} to entry ${entry.id}`);
      if (entry.prev_hash !== prev)
        return fail(entry.id, `entry ${entry.id} does not link to entry ${entry.id - 1}`);
      if (entryHash(prev, entry) !== entry.hash)
        return fail(entry.id, `entry ${entry.id} does not match its hash (edited)`);
      const problem = this.match(device, entry, withRef, adoptable);
      if (problem) return fail(entry.id, problem);
      if (entry.ref !== null) batch.set(entry.ref, [...(batch.get(entry.ref) ?? []), entry]);
      accepted.push(entry);
      prev = entry.hash;
      expected++;
    }
    const settled: string[] = [];
    const problems: Array<{ firstBrokenId: number; reason: string }> = [];
    for (const sent of answered) {
      const problem = answerProblem(sent, withRef(sent.ref), (held?.id ?? 0) + 1);
      if (problem) problems.push(problem);
      else settled.push(sent.ref);
    }
    const first = problems.sort((a, b) => a.firstBrokenId - b.firstBrokenId)[0];
    return first ? fail(first.firstBrokenId, first.reason) : { accepted, settled };
  }

  /** Whether one new entry fits a call the bot sent; the problem in a sentence when not. */
  private match(
    device: string,
    entry: HeldEntry,
    withRef: (ref: string) => HeldEntry[],
    adoptable: boolean,
  ): string | undefined {
    const notSent = `entry ${entry.id} was not sent by the bot (capability ${entry.capability})`;
    if (entry.ref === null) return adoptable ? undefined : notSent;
    const sent = this.options.store.sent(device, entry.ref);
    if (!sent) return notSent;
    const earlier = withRef(entry.ref);
    const call = earlier.find((e) => e.kind === "call");
    if (entry.kind === "call") {
      if (call) return `entry ${entry.id} repeats the call of entry ${call.id} (the bot sent it once)`;
      if (entry.call_id !== entry.id)
        return `entry ${entry.id} is a call entry that names entry ${entry.call_id}`;
      if (entry.capability !== sent.capability)
        return `entry ${entry.id} records ${entry.capability}, but the bot sent ${sent.capability}`;
      if (entry.caller !== sent.caller)
        return `entry ${entry.id} records another caller than the bot sent (capability ${sent.capability})`;
      if (entry.args !== sent.args)
        return `entry ${entry.id} records other arguments than the bot sent (capability ${sent.capability})`;
      return undefined;
    }
    if (!call || call.id !== entry.call_id)
      return `entry ${entry.id} is a result for entry ${entry.call_id}, which is not the call the bot sent with that reference`;
    const result = earlier.find((e) => e.kind === "result");
    if (result)
      return `entry ${entry.id} repeats the result of entry ${call.id} (already in entry ${result.id})`;
    if (call.refusal !== null) return `entry ${entry.id} is a result of entry ${call.id}, a refused call`;
    if (entry.capability !== call.capability || entry.caller !== call.caller)
      return `entry ${entry.id} does not match its call entry ${call.id}`;
    return undefined;
  }
}

/** For a call the device answered: are its entries there, as the answer requires? */
function answerProblem(
  sent: SentCall,
  entries: HeldEntry[],
  firstUnverified: number,
): { firstBrokenId: number; reason: string } | undefined {
  const call = entries.find((e) => e.kind === "call");
  const result = entries.find((e) => e.kind === "result");
  const what = `the ${sent.capability} call the bot sent at ${new Date(sent.sent_at).toISOString()}`;
  if (!call)
    return {
      firstBrokenId: firstUnverified,
      reason: `${what} was answered ${sent.reply ?? "?"}, but no entry of the device's audit records it (deleted)`,
    };
  if (sent.reply === "refused") {
    if (call.refusal === null)
      return {
        firstBrokenId: call.id,
        reason: `entry ${call.id} records the call as run, but the device answered it refused`,
      };
    return undefined;
  }
  if (call.refusal !== null)
    return {
      firstBrokenId: call.id,
      reason: `entry ${call.id} records a refusal, but the device answered the call done`,
    };
  if (!result)
    return {
      firstBrokenId: call.id,
      reason: `entry ${call.id} is ${what}, answered done, but the device's audit has no result for it (deleted)`,
    };
  if (
    (sent.exit_code !== null && result.exit_code !== sent.exit_code) ||
    (sent.bytes !== null && result.bytes !== sent.bytes)
  )
    return {
      firstBrokenId: result.id,
      reason: `entry ${result.id} records another outcome than the device answered (exit ${result.exit_code ?? "none"}, ${result.bytes ?? 0} B)`,
    };
  return undefined;
}
