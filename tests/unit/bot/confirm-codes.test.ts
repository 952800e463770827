import { ConfirmCodes } from "../../../bot/confirm-codes";

describe("revoke confirmation codes", () => {
  let now = 0;
  const codes = () => new ConfirmCodes(300_000, () => now);

  beforeEach(() => (now = 1_000_000));

  test("four unambiguous characters; the same operator within the TTL confirms, once", () => {
    const c = codes();
    const code = c.issue("pc1", "@op:x");
    expect(code).toMatch(/^[A-HJ-NP-Z2-9]{4}$/);
    now += 299_000;
    expect(c.confirm("pc1", "@op:x", code.toLowerCase())).toEqual({ ok: true });
    expect(c.confirm("pc1", "@op:x", code)).toEqual({ ok: false, why: "none" });
  });

  test("expired after the TTL", () => {
    const c = codes();
    const code = c.issue("pc1", "@op:x");
    now += 300_001;
    expect(c.confirm("pc1", "@op:x", code)).toEqual({ ok: false, why: "expired" });
    expect(c.confirm("pc1", "@op:x", code)).toEqual({ ok: false, why: "none" });
  });

  test("another operator cannot confirm, and does not burn the code", () => {
    const c = codes();
    const code = c.issue("pc1", "@op:x");
    expect(c.confirm("pc1", "@other:x", code)).toEqual({ ok: false, why: "other_operator" });
    expect(c.confirm("pc1", "@op:x", code)).toEqual({ ok: true });
  });

  test("a wrong code is refused; three wrong ones cancel it", () => {
    const c = codes();
    const code = c.issue("pc1", "@op:x");
    const wrong = code === "AAAA" ? "BBBB" : "AAAA";
    expect(c.confirm("pc1", "@op:x", wrong)).toEqual({ ok: false, why: "wrong" });
    expect(c.confirm("pc1", "@op:x", wrong)).toEqual({ ok: false, why: "wrong" });
    expect(c.confirm("pc1", "@op:x", wrong)).toEqual({ ok: false, why: "too_many_wrong" });
    expect(c.confirm("pc1", "@op:x", code)).toEqual({ ok: false, why: "none" });
  });

  test("codes are per device", () => {
    const c = codes();
    const code = c.issue("pc1", "@op:x");
    expect(c.confirm("pc2", "@op:x", code)).toEqual({ ok: false, why: "none" });
  });
});
