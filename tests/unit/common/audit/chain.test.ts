import { createHash } from "node:crypto";
import {
  canonicalEntry,
  canonicalJson,
  checkAgainstRemembered,
  entryHash,
  GENESIS_HASH,
  verifyEntries,
  type AuditEntry,
  type AuditFields,
} from "../../../../common/audit/chain";

function chain(n: number): AuditEntry[] {
  const entries: AuditEntry[] = [];
  let prev = GENESIS_HASH;
  for (let id = 1; id <= n; id++) {
    const fields: AuditFields = {
      id,
      kind: "call",
      call_id: id,
      ts: 1000 + id,
      capability: "fs.list",
      args: canonicalJson({ path: `/${id}` }),
      caller: "@op:x",
      exit_code: null,
      bytes: null,
      duration_ms: null,
      refusal: null,
      error: null,
    };
    const hash = entryHash(prev, fields);
    entries.push({ ...fields, prev_hash: prev, hash });
    prev = hash;
  }
  return entries;
}

describe("the hash chain", () => {
  test("canonical JSON: keys sorted whatever their order, undefined members left out, undefined itself null", () => {
    expect(canonicalJson({ d: 4, c: 3, b: 2, a: 1 })).toBe('{"a":1,"b":2,"c":3,"d":4}');
    expect(canonicalJson({ z: 1, y: { x: 1, w: 2 } })).toBe('{"y":{"w":2,"x":1},"z":1}');
    expect(canonicalJson({ a: undefined, b: 1 })).toBe('{"b":1}');
    expect(canonicalJson(undefined)).toBe("null");
    expect(canonicalJson([undefined, "x"])).toBe('[null,"x"]');
  });

  test("an entry's hashed form carries its ref only when it has one", () => {
    const [entry] = chain(1);
    const withoutRef = canonicalEntry(entry!);
    expect(canonicalEntry({ ...entry!, ref: null })).toBe(withoutRef);
    expect(canonicalEntry({ ...entry!, ref: "call-ref-0001" })).toBe(
      `${withoutRef.slice(0, -1)},"call-ref-0001"]`,
    );
  });

  test("a sound chain verifies with its count and head", () => {
    const entries = chain(3);
    expect(verifyEntries(entries)).toEqual({ ok: true, count: 3, head: entries[2]!.hash });
    expect(verifyEntries([])).toEqual({ ok: true, count: 0, head: GENESIS_HASH });
  });

  test("a missing entry, a wrong link or an edited entry is named with what was verified before it", () => {
    const entries = chain(4);
    expect(verifyEntries([entries[0]!, entries[2]!, entries[3]!])).toEqual({
      ok: false,
      count: 1,
      firstBrokenId: 2,
      reason: "expected entry 2, found 3",
    });
    // Re-hashed over a wrong predecessor: its own hash fits, its link does not.
    const relinked = { ...entries[2]!, prev_hash: "f".repeat(64) };
    relinked.hash = entryHash(relinked.prev_hash, relinked);
    expect(verifyEntries([entries[0]!, entries[1]!, relinked, entries[3]!])).toEqual({
      ok: false,
      count: 2,
      firstBrokenId: 3,
      reason: "does not link to the previous entry",
    });
    const edited = { ...entries[1]!, args: '{"path":"/elsewhere"}' };
    expect(verifyEntries([entries[0]!, edited, entries[2]!])).toEqual({
      ok: false,
      count: 1,
      firstBrokenId: 2,
      reason: "content does not match its hash",
    });
  });

  test("against a remembered head: cut short, rewritten, or fine (the remembered entry itself may be the last)", () => {
    const entries = chain(4);
    const hashAt = (id: number) => entries[id - 1]?.hash;
    const full = verifyEntries(entries);
    const shorter = verifyEntries(entries.slice(0, 2));
    expect(checkAgainstRemembered({ count: 3, hash: entries[2]!.hash }, shorter, hashAt)).toEqual({
      ok: false,
      count: 2,
      firstBrokenId: 3,
      reason: "the chain has 2 entries, fewer than the 3 seen before (cut short)",
    });
    expect(checkAgainstRemembered({ count: 3, hash: "other" }, full, hashAt)).toEqual({
      ok: false,
      count: 4,
      firstBrokenId: 3,
      reason: "entry 3 no longer has the hash seen before (rewritten)",
    });
    expect(checkAgainstRemembered({ count: 4, hash: entries[3]!.hash }, full, hashAt)).toBe(full);
    expect(checkAgainstRemembered({ count: 0, hash: GENESIS_HASH }, full, () => "x")).toBe(full);
    expect(checkAgainstRemembered(undefined, full, () => "x")).toBe(full);
    const broken = verifyEntries([entries[1]!]);
    expect(checkAgainstRemembered({ count: 3, hash: "x" }, broken, hashAt)).toBe(broken);
  });

  test("the hash is pinned: sha256 of the previous hash, a line break and the entry as a JSON array", () => {
    // Every chain on every device was written with this; changing it breaks them all.
    const fields: AuditFields = {
      id: 1,
      kind: "call",
      call_id: 1,
      ts: 1_700_000_000_000,
      capability: "fs.list",
      args: '{"path":"/"}',
      caller: "@op:x",
      exit_code: null,
      bytes: null,
      duration_ms: null,
      refusal: null,
      error: null,
    };
    const text =
      '[1,"call",1,1700000000000,"fs.list","{\\"path\\":\\"/\\"}","@op:x",null,null,null,null,null]';
    expect(canonicalEntry(fields)).toBe(text);
    const expected = createHash("sha256").update(`${GENESIS_HASH}\n${text}`).digest("hex");
    expect(entryHash(GENESIS_HASH, fields)).toBe(expected);
    expect(expected).toBe("52b796370f437cc21f96b1bf4e3821d6689ff17842cbd7519e3385e988c55e78");
    expect(entryHash(GENESIS_HASH, { ...fields, ref: "call-ref-0001" })).toBe(
      "caf15b4d1231414214b3e89b2444975c5a30c2ff301b2121952a517de6b5afc9",
    );
  });
});
